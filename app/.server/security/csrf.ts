/**
 * Cross-site request forgery protection for every state-changing request, before any route runs.
 *
 * Browsers send `Origin` on cross-origin POSTs and `Sec-Fetch-Site` on all requests; a forged form
 * post from another site carries a foreign origin in both. We accept a POST/PUT/PATCH/DELETE only
 * when its Origin is our own, or (when Origin is absent) `Sec-Fetch-Site` is `same-origin` or `none`
 * (typed by the user). Requests with neither header are refused: every browser we support sends one.
 * Webhooks authenticate by signature instead and are exempt.
 */
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";
import { loggablePath, logger } from "../logger";
import { trustedOrigin } from "./origin";

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Paths that authenticate by signature, not by cookie: cross-site posts are their normal case. */
export const CSRF_EXEMPT = [/^\/webhooks\/stripe\/?$/, /^\/webhooks\/meta\/[^/]+\/?$/];

export interface CsrfInput {
  method: string;
  path: string;
  origin?: string | null;
  secFetchSite?: string | null;
  /** The origin this app is served from (security/origin.ts), or null for a Host we do not serve. */
  expectedOrigin: string | null;
}

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

export function checkCsrf(input: CsrfInput): CsrfVerdict {
  if (!UNSAFE_METHODS.has(input.method.toUpperCase())) return { ok: true };
  if (CSRF_EXEMPT.some((re) => re.test(input.path))) return { ok: true };
  if (!input.expectedOrigin) return { ok: false, reason: "request for a host this app does not serve" };
  const origin = input.origin?.trim();
  if (origin && origin !== "null") {
    let normalised: string;
    try {
      normalised = new URL(origin).origin;
    } catch {
      return { ok: false, reason: "malformed Origin header" };
    }
    return normalised === new URL(input.expectedOrigin).origin ? { ok: true } : { ok: false, reason: "cross-origin request" };
  }
  const site = input.secFetchSite?.trim().toLowerCase();
  if (site === "same-origin" || site === "none") return { ok: true };
  if (site) return { ok: false, reason: `Sec-Fetch-Site ${site}` };
  return { ok: false, reason: origin === "null" ? "opaque origin" : "no Origin or Sec-Fetch-Site header" };
}

/**
 * The host as Remix will see it in request.url (@remix-run/express: req.hostname, which honours
 * X-Forwarded-Host from a trusted proxy, plus the forwarded or direct port), so the check and the
 * links built later agree on one host.
 */
function remixHost(req: ExpressRequest): string | undefined {
  if (!req.hostname) return undefined;
  const port =
    req.get("x-forwarded-host")?.split(":")[1] ||
    req
      .get("host")
      ?.split(":")
      .at(-1)
      ?.replace(/^.*\]$/, "");
  const hostname = req.hostname.includes(":") && !req.hostname.startsWith("[") ? `[${req.hostname}]` : req.hostname;
  return port && /^\d+$/.test(port) ? `${hostname}:${port}` : hostname;
}

/** Express middleware: 403 with a clear message for a forged or origin-less state change. */
export function csrfMiddleware(opts: { appUrl?: string }) {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    // APP_URL, or (without it: development, the local demo) the request's origin only when its Host
    // is a loopback name; a foreign Host (DNS rebinding) has no trusted origin, so nothing matches it.
    const expectedOrigin = trustedOrigin({ protocol: req.protocol, host: remixHost(req) }, opts.appUrl);
    const verdict = checkCsrf({
      method: req.method,
      path: req.path,
      origin: req.get("origin"),
      secFetchSite: req.get("sec-fetch-site"),
      expectedOrigin,
    });
    if (verdict.ok) return next();
    logger.warn({ method: req.method, path: loggablePath(req.path), reason: verdict.reason }, "csrf check refused a request");
    res
      .status(403)
      .type("text/plain")
      .send("This request came from another site (or did not say where it came from), so it was refused. Reload the page and try again.");
  };
}
