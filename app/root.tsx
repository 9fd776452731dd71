import type { LinksFunction, MetaFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError } from "@remix-run/react";
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

const MESSAGES: Record<number, { title: string; text: string }> = {
  400: { title: "That request was not valid", text: "Check what you entered and try again." },
  401: { title: "Please log in", text: "Your session has ended. Log in again to continue." },
  402: { title: "Plan limit reached", text: "Upgrade the plan on the Billing page to continue." },
  403: { title: "Not allowed", text: "You do not have permission to see this. Ask an owner or admin of the agency." },
  404: { title: "Page not found", text: "This page does not exist, or you do not have access to it." },
  503: { title: "Temporarily unavailable", text: "Spendlane is temporarily unavailable. Try again in a moment." },
};

// One boundary for the whole app. Error details never reach the page (they may hold internals);
// the server logs unexpected errors with their stack.
export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const m = MESSAGES[status] ?? { title: "Something went wrong", text: "Something went wrong on our side. It has been logged; try again in a moment." };
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-medium text-blue-400">Error {status}</p>
        <h1 className="mt-2 text-2xl font-semibold text-zinc-50">{m.title}</h1>
        <p className="mt-2 text-sm text-zinc-400">{m.text}</p>
        <a href="/" className="mt-6 inline-flex h-10 items-center rounded-lg bg-blue-600 px-4 text-sm font-medium text-white hover:bg-blue-500">
          Go to the start page
        </a>
      </div>
    </main>
  );
}
