import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from "@remix-run/react";
import { ErrorPanel } from "./components/ui/error-panel";
import stylesheet from "./tailwind.css?url";
import { useNonce } from "./nonce";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  // Inline SVG icon: no extra request, no external asset.
  {
    rel: "icon",
    type: "image/svg+xml",
    href: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%232563eb'/%3E%3Cpath d='M8 21l5-6 4 3 7-8' stroke='white' stroke-width='2.5' fill='none' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E",
  },
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
        <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded-md focus:bg-blue-600 focus:px-3 focus:py-2 focus:text-white">
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
