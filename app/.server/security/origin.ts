/**
 * The public origin of this app, for links in emails, OAuth redirect URIs and the CSRF check
 * (security review, finding 2). The request's Host header is chosen by the client: trusting it let
 * `Host: evil.example` put a valid reset token into a link to evil.example, and let a DNS-rebinding
 * page pass the CSRF check with a matching Origin.
 *
 * - APP_URL, when set (required in production outside the demo, see env.ts), is the only origin.
 * - Without it (development, the demo on this machine) the request's own origin is used only when its
 *   host is a loopback name (localhost, *.localhost, 127.0.0.0/8, [::1]); anything else falls back to
 *   http://localhost:PORT for links and is refused by the CSRF check.
 */
import { env } from "../env";

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;

/** True for a Host header naming this machine's loopback interface. */
export function isLoopbackHost(host: string | null | undefined): boolean {
  return Boolean(host && LOOPBACK_HOST.test(host));
}

/**
 * The origin to trust for a request (`protocol` and `host` as the server saw them), or null when
 * APP_URL is unset and the host is not a loopback name.
 */
export function trustedOrigin(request: { protocol: string; host: string | null | undefined } | undefined, appUrl: string | undefined): string | null {
  if (appUrl) return new URL(appUrl).origin;
  if (request && isLoopbackHost(request.host) && (request.protocol === "http" || request.protocol === "https")) {
    return `${request.protocol}://${request.host!.toLowerCase()}`;
  }
  return null;
}

/** The origin for links: trustedOrigin, else http://localhost:PORT. */
export function publicOrigin(request?: Request): string {
  const url = request ? new URL(request.url) : undefined;
  return trustedOrigin(url ? { protocol: url.protocol.replace(/:$/, ""), host: url.host } : undefined, env().APP_URL) ?? `http://localhost:${env().PORT}`;
}
