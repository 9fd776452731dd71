/**
 * Structured logs (pino) on stderr. Secrets are redacted by key wherever they appear, and token-like
 * strings are masked inside messages too, so a token pasted into an error text does not leak.
 *
 * Every line written while a request is handled carries that request's id, and the user and agency
 * once a guard has resolved them (see `logContext()`), so one grep follows a request end to end.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";

export const REDACT_KEYS = [
  "access_token",
  "accessToken",
  "refresh_token",
  "token",
  "tokens",
  "input_token",
  "fb_exchange_token",
  "client_secret",
  "appsecret_proof",
  "appSecret",
  "app_secret",
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "password_hash",
  "code",
  "cookie",
  "set-cookie",
  "authorization",
  "secret",
  "signed_request",
  "stripe-signature",
  "x-hub-signature",
  "x-hub-signature-256",
];

const paths = REDACT_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith("[") ? "" : ".";
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `req.headers${dot}${key}`, `res.headers${dot}${key}`];
});

/**
 * Path segments that are secrets themselves (invitation, reset and email-confirmation tokens, Meta
 * deletion codes). Every log line that names a path goes through `loggablePath`; `maskSecrets` also
 * catches them inside free text (an error message quoting the URL).
 */
const SECRET_PATH = /\/(invite|reset-password|confirm-email|meta\/deletion)\/[^/?#\s"']+/g;

/** The path with its secret segments replaced: `/invite/[redacted]`. */
export function loggablePath(pathname: string): string {
  return pathname.replace(SECRET_PATH, "/$1/[redacted]");
}

/**
 * Masks Meta tokens (EAA...), bearer values, token query parameters, signed requests, session
 * cookies and secret path segments inside free text.
 */
export function maskSecrets(text: string): string {
  return loggablePath(text)
    .replace(/\bEAA[A-Za-z0-9]{10,}\b/g, "EAA[redacted]")
    .replace(/((?:access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|code|token|signed_request|password)=)[^&\s"']+/gi, "$1[redacted]")
    .replace(/("(?:access_token|input_token|client_secret|appsecret_proof|code|token|password|signed_request)"\s*:\s*")[^"]*"/gi, '$1[redacted]"')
    .replace(/(Bearer|OAuth)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]")
    .replace(/\b(__session|__Host-[\w-]+|session|sid)=[^;\s"']+/g, "$1=[redacted]");
}

// ---------------------------------------------------------------------------------------------
// Request context. It lives on globalThis because the server entry and the Vite-built app bundle
// each get their own copy of this module; both must see the same request.

export interface LogContext {
  requestId: string;
  userId?: string;
  agencyId?: string;
  /**
   * Seconds after which a refused request (429, 503) may be retried, noted by whoever refused it so
   * server/app.ts can put Retry-After on the response: Remix drops action and loader headers on
   * single-fetch (.data) responses.
   */
  retryAfterSeconds?: number;
}

const g = globalThis as Record<string, unknown>;
const storage = (g.__spendlaneLogContext ??= new AsyncLocalStorage<LogContext>()) as AsyncLocalStorage<LogContext>;

/** The context of the request being handled, if any (request id, and user/agency when known). */
export function logContext(): LogContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) inside a request context. */
export function runWithLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Guards call this once they know who is asking, so later log lines (and the access log) say so. */
export function bindLogContext(fields: { userId?: string; agencyId?: string }) {
  const store = storage.getStore();
  if (!store) return;
  if (fields.userId) store.userId = fields.userId;
  if (fields.agencyId) store.agencyId = fields.agencyId;
}

// ---------------------------------------------------------------------------------------------
// Output: stderr, plus taps (the redaction test reads every line the process writes). Shared
// through globalThis for the same reason as the context.

type Tap = ((line: string) => void) & { quiet?: boolean };
const taps = (g.__spendlaneLogTaps ??= new Set<Tap>()) as Set<Tap>;
const sink = {
  write(line: string) {
    let quiet = false;
    for (const tap of taps) {
      tap(line);
      quiet ||= !!tap.quiet;
    }
    if (!quiet) process.stderr.write(line);
  },
};

/**
 * Collects every log line (of every logger copy in the process) until `stop()`. For tests; `quiet`
 * keeps the captured lines off stderr meanwhile.
 */
export function captureLogs(opts: { quiet?: boolean } = {}): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const tap: Tap = Object.assign((line: string) => void lines.push(line), { quiet: opts.quiet });
  taps.add(tap);
  return { lines, stop: () => void taps.delete(tap) };
}

export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    redact: { paths, censor: "[redacted]" },
    base: undefined,
    mixin() {
      const c = storage.getStore();
      return c ? { reqId: c.requestId, userId: c.userId, agencyId: c.agencyId } : {};
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === "string" ? maskSecrets(a) : a)) as Parameters<typeof method>;
        return method.apply(this, masked);
      },
    },
    serializers: {
      err: (err: Error) => ({
        type: err?.name,
        // not "code": that key is redacted everywhere (OAuth codes); error codes are no secret
        errorCode: (err as { code?: unknown })?.code,
        message: maskSecrets(String(err?.message ?? err)),
        stack: err?.stack && maskSecrets(err.stack),
      }),
    },
  },
  sink,
);
