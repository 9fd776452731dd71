import type { LinksFunction } from "@remix-run/node";
import { Links, Meta, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError } from "@remix-run/react";
import stylesheet from "./tailwind.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" className="dark">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen font-sans">
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message =
    status === 404 ? "This page does not exist, or you do not have access to it." :
    status === 403 ? "You do not have permission to see this." :
    status === 503 ? "Spendlane is temporarily unavailable. Try again in a moment." :
    "Something went wrong on our side. It has been logged.";
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <p className="text-sm text-zinc-500">Error {status}</p>
      <h1 className="mt-2 text-xl font-semibold text-zinc-100">{message}</h1>
      <a href="/" className="mt-6 inline-block text-blue-400 hover:underline">Go to the start page</a>
    </main>
  );
}
