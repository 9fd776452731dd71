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
 * what was not found, 403 what the role does not allow, another refusal (4xx) its plain reason;
 * only a real failure (5xx) says it was logged, because only those are. Details stay in the server log.
 */
export function RouteErrorAlert({ notFound, failed, forbidden }: { notFound: string; failed: string; forbidden?: string }) {
  const error = useRouteError();
  const status = errorStatus(error);
  if (status === 404)
    return (
      <Alert tone="error" title="Not found">
        {notFound}
      </Alert>
    );
  if (status === 403) {
    return (
      <Alert tone="warning" title="Not allowed">
        <span data-status="403">{forbidden ?? MESSAGES[403]!.text}</span>
      </Alert>
    );
  }
  if (status < 500 && MESSAGES[status])
    return (
      <Alert tone="warning" title={MESSAGES[status]!.title}>
        {MESSAGES[status]!.text}
      </Alert>
    );
  return (
    <Alert tone="error" title={failed}>
      Try again in a moment. The error has been logged.
    </Alert>
  );
}
