/**
 * Structured logs (pino) on stderr. Secrets are redacted by key wherever they appear, and token-like
 * strings are masked inside messages too, so a token pasted into an error text does not leak.
 */
import pino from "pino";

export const REDACT_KEYS = [
  "access_token",
  "accessToken",
  "token",
  "input_token",
  "fb_exchange_token",
  "client_secret",
  "appsecret_proof",
  "password",
  "passwordHash",
  "password_hash",
  "code",
  "cookie",
  "authorization",
  "secret",
  "signed_request",
];

const paths = REDACT_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);

/** Masks Meta tokens (EAA...), bearer values and token query parameters inside free text. */
export function maskSecrets(text: string): string {
  return text
    .replace(/\bEAA[A-Za-z0-9]{10,}\b/g, "EAA[redacted]")
    .replace(/((?:access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|code|token)=)[^&\s"']+/gi, "$1[redacted]")
    .replace(/(Bearer|OAuth)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]");
}

export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    redact: { paths, censor: "[redacted]" },
    base: undefined,
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === "string" ? maskSecrets(a) : a)) as Parameters<typeof method>;
        return method.apply(this, masked);
      },
    },
    serializers: {
      err: (err: Error) => ({ type: err?.name, message: maskSecrets(String(err?.message ?? err)), stack: err?.stack && maskSecrets(err.stack) }),
    },
  },
  pino.destination(2),
);
