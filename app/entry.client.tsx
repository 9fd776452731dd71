/**
 * Browser entry (Remix's default): hydrate the server-rendered document. No nonce here: the scripts
 * are already running, and browsers hide nonce values from the DOM anyway.
 */
import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  );
});
