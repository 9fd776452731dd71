/**
 * Security headers for every response: a Content-Security-Policy that lets only scripts carrying
 * this response's nonce run (Remix's inline hydration scripts get it through <Scripts nonce>), and
 * the usual clickjacking, sniffing, referrer and feature lockdowns. HSTS only in production, where
 * the app is served over HTTPS.
 */
import { randomBytes } from "node:crypto";
import { env } from "../env";

/** 128 random bits per response, base64: unguessable, and valid in a CSP source expression. */
export function createNonce(): string {
  return randomBytes(16).toString("base64");
}

export function contentSecurityPolicy(opts: { nonce?: string; metaWebUrl?: string; development?: boolean; supabaseUrl?: string | null } = {}): string {
  const metaOrigin = new URL(opts.metaWebUrl ?? env().META_WEB_URL).origin;
  // Supabase deployments: the browser opens Realtime's websocket on the project's origin (ADR 0110).
  const supabaseUrl = opts.supabaseUrl === undefined ? (env().SUPABASE_JWT_SECRET ? env().SUPABASE_URL : undefined) : opts.supabaseUrl;
  const supabase = supabaseUrl ? ` ${new URL(supabaseUrl).origin} ${new URL(supabaseUrl).origin.replace(/^http/, "ws")}` : "";
  // `npm run dev` only: Vite's client opens a websocket on its own port.
  const devSockets = (opts.development ?? env().NODE_ENV === "development") ? " ws://localhost:* ws://127.0.0.1:*" : "";
  const script = opts.nonce ? `script-src 'self' 'nonce-${opts.nonce}' 'strict-dynamic'` : "script-src 'self'";
  return [
    "default-src 'self'",
    script,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${supabase}${devSockets}`,
    "frame-ancestors 'none'",
    // the Meta OAuth dialog is reached by a form post / redirect from our pages
    `form-action 'self' ${metaOrigin}`,
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
}

export function securityHeaders(opts: { nonce?: string; production?: boolean; metaWebUrl?: string } = {}): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Security-Policy": contentSecurityPolicy(opts),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
  };
  if (opts.production ?? env().NODE_ENV === "production") {
    headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains";
  }
  return headers;
}

/**
 * Sets the security headers on `headers`. With `overwrite: false` a header the route already chose
 * stays (the document renderer sets the nonce CSP; the outer layer fills in the rest).
 */
export function applySecurityHeaders(headers: Headers, opts: { nonce?: string; overwrite?: boolean } = {}): Headers {
  for (const [name, value] of Object.entries(securityHeaders({ nonce: opts.nonce }))) {
    if (opts.overwrite === false && headers.has(name)) continue;
    headers.set(name, value);
  }
  return headers;
}

/**
 * `response` with the security headers filled in (headers the route set stay). Some responses have
 * immutable headers (Response.redirect, fetched responses); those are copied.
 */
export function withSecurityHeaders(response: Response, opts: { nonce?: string } = {}): Response {
  try {
    applySecurityHeaders(response.headers, { ...opts, overwrite: false });
    return response;
  } catch {
    const headers = applySecurityHeaders(new Headers(response.headers), { ...opts, overwrite: false });
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
