import { isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { Alert } from "./alert";

const MESSAGES: Record<number, { title: string; text: string }> = {
  400: { title: "That request was not valid", text: "Check what you entered and try again." },
  401: { title: "Please log in", text: "Your session has ended. Log in again to continue." },
  402: { title: "Plan limit reached", text: "Upgrade the plan on the Billing page to continue." },
  403: { title: "Not allowed", text: "You do not have permission to see this. Ask an owner or admin of the agency." },
  404: { title: "Page not found", text: "This page does not exist, or you do not have access to it." },
  429: { title: "Too many attempts", text: "Wait a moment, then try again." },
  503: { title: "Temporarily unavailable", text: "Spendlane is temporarily unavailable. Try again in a moment." },
};
const FALLBACK = { title: "Something went wrong", text: "Something went wrong on our side. It has been logged; try again in a moment." };

/** Status of whatever a route threw: the Response's status, or 500 for anything unexpected. */
export function errorStatus(error: unknown): number {
  return isRouteErrorResponse(error) ? error.status : 500;
}

/**
 * The error message block used by every error boundary. Error details never reach the page (they
 * may hold internals); the server logs unexpected errors with their stack.
 */
export function ErrorPanel({ error, homeHref = "/", homeLabel = "Go to the start page" }: { error: unknown; homeHref?: string; homeLabel?: string }) {
  const status = errorStatus(error);
  const m = MESSAGES[status] ?? FALLBACK;
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <p className="text-sm font-medium text-blue-400">Error {status}</p>
      <h1 className="mt-2 text-2xl font-semibold text-zinc-50">{m.title}</h1>
      <p className="mt-2 text-sm text-zinc-400">{m.text}</p>
      <a href={homeHref} className="mt-6 inline-flex h-10 items-center rounded-lg bg-blue-600 px-4 text-sm font-medium text-white hover:bg-blue-500">
        {homeLabel}
      </a>
    </div>
  );
}

/**
 * The inline error for a route nested inside the app layout (the navigation stays usable): 404 says
 * what was not found, anything else that it could not be loaded. Details stay in the server log.
 */
export function RouteErrorAlert({ notFound, failed }: { notFound: string; failed: string }) {
  const error = useRouteError();
  const status = errorStatus(error);
  return (
    <Alert tone="error" title={status === 404 ? "Not found" : failed}>
      {status === 404 ? notFound : "Try again in a moment. The error has been logged."}
    </Alert>
  );
}
