/**
 * Server rendering (Remix's default Node entry: bots get the whole document, browsers a stream) plus
 * what every response needs: security headers with this response's CSP nonce, the nonce on every
 * script Remix renders, and logging of unexpected errors through our logger.
 */
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleDataRequestFunction, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { loggablePath, logger } from "~/.server/logger";
import { applySecurityHeaders, contentSecurityPolicy, withSecurityHeaders } from "~/.server/security/headers";
import { NonceProvider } from "~/nonce";

// Stream pending deferred data for at most this long, then abort rendering a little after.
export const streamTimeout = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext?.nonce ?? "";
  // A route may tighten a header through its `headers` export (token pages send a stricter
  // Referrer-Policy); the CSP is always ours, because it must carry this response's nonce.
  applySecurityHeaders(responseHeaders, { nonce, overwrite: false });
  responseHeaders.set("Content-Security-Policy", contentSecurityPolicy({ nonce }));
  // Remix passes only Set-Cookie from action/loader responses to the document unless a route exports
  // `headers`; Retry-After (429 from the rate limiter, 503) must reach the client without every
  // route remembering that.
  const ctx = remixContext.staticHandlerContext;
  for (const h of [...Object.values(ctx.actionHeaders ?? {}), ...Object.values(ctx.loaderHeaders ?? {})]) {
    const retryAfter = h.get("Retry-After");
    if (retryAfter && !responseHeaders.has("Retry-After")) responseHeaders.set("Retry-After", retryAfter);
  }
  const bot = isbot(request.headers.get("user-agent") || "");
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        // Bots (and crawlers of the status pages) get complete HTML; browsers start on the shell.
        [bot ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          const stream = createReadableStreamFromReadable(body);
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(new Response(stream, { headers: responseHeaders, status: responseStatusCode }));
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors while streaming after the shell are logged here; before it, onShellError rejects.
          if (shellRendered) logger.error({ err: error }, "error while streaming a document");
        },
      },
    );
    setTimeout(abort, streamTimeout + 1000);
  });
}

export const handleDataRequest: HandleDataRequestFunction = (response) => withSecurityHeaders(response);

export const handleError: HandleErrorFunction = (error, { request }) => {
  // Aborted requests (the client went away) are not errors of ours.
  if (request.signal.aborted) return;
  // The path may carry a token (invitation, reset): log it redacted, like the access log.
  logger.error({ err: error, method: request.method, path: loggablePath(new URL(request.url).pathname) }, "unhandled error in a route");
};
