import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from "@remix-run/react";
import { ErrorPanel } from "./components/ui/error-panel";
import stylesheet from "./tailwind.css?url";
import { useNonce } from "./nonce";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  // public/ (served from the app's own origin, allowed by the CSP's 'self'); drawn by scripts/make-icons.mjs
  { rel: "icon", href: "/favicon.ico", sizes: "48x48" },
  { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" },
  { rel: "apple-touch-icon", href: "/apple-touch-icon.png" },
  { rel: "manifest", href: "/site.webmanifest" },
];

export const meta: MetaFunction = () => [{ title: "Spendlane" }, { name: "description", content: "Live Meta ads dashboards for agencies and their clients." }];

// Fonts: Inter when the system has it, otherwise the platform UI font (tailwind.config.ts
// fontFamily.sans). Nothing is downloaded from a font CDN.
export function Layout({ children }: { children: React.ReactNode }) {
  // CSP nonce of this response (app/entry.server.tsx): only scripts carrying it may run.
  const nonce = useNonce();
  return (
    <html lang="en" className="dark">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="dark" />
        <meta name="theme-color" content="#09090b" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen bg-zinc-950 font-sans text-zinc-200 antialiased">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded-md focus:bg-blue-600 focus:px-3 focus:py-2 focus:text-white"
        >
          Skip to content
        </a>
        <div id="main">{children}</div>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

// One boundary for everything outside the agency area (and for failures of the agency layout itself).
export function ErrorBoundary() {
  const error = useRouteError();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <ErrorPanel error={error} />
    </main>
  );
}
