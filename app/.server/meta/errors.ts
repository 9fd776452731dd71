/**
 * The Meta error taxonomy: every failure of a Graph call becomes one MetaApiError with a `kind` that
 * tells the caller what to do (re-authorise, wait, shrink the request, retry, give up). Codes follow
 * Meta's published error reference (OAuth 190, throttling 4/17/613/80000-80014, transient 1/2);
 * docs/meta-app-setup.md lists the ones we act on.
 *
 * Runtime-agnostic (no Node-only APIs): the same module runs in the Deno edge function.
 * A MetaApiError's message never carries a token, an appsecret_proof or a URL's query string.
 */

import { deprecatedVersionMessage } from "./versions";

export type MetaErrorKind =
  "token_invalid" | "permission" | "transient" | "rate_limited" | "too_much_data" | "history_limit" | "invalid_request" | "async_failed" | "unknown";

export interface MetaApiErrorDetails {
  code?: number;
  subcode?: number;
  httpStatus?: number;
  retryAfterMs?: number;
  fbtraceId?: string;
  /** Meta's own message (sanitised), without our prefix. */
  metaMessage?: string;
  cause?: unknown;
}

export class MetaApiError extends Error {
  readonly kind: MetaErrorKind;
  readonly code?: number;
  readonly subcode?: number;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly fbtraceId?: string;
  readonly metaMessage?: string;

  constructor(kind: MetaErrorKind, message: string, details: MetaApiErrorDetails = {}) {
    super(redactSecrets(message), details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = "MetaApiError";
    this.kind = kind;
    this.code = details.code;
    this.subcode = details.subcode;
    this.httpStatus = details.httpStatus;
    this.retryAfterMs = details.retryAfterMs;
    this.fbtraceId = details.fbtraceId;
    this.metaMessage = details.metaMessage === undefined ? undefined : redactSecrets(details.metaMessage);
  }

  /** Worth trying again later with the same request (after `retryAfterMs` for rate limits). */
  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "rate_limited";
  }
}

/**
 * Meta answered, but with data we will not store (a row without its campaign id, a non-numeric
 * amount, a day outside the requested range): the sync fails with this message instead of writing
 * numbers we cannot vouch for. A data problem, not a bug, so the run ends "failed" rather than throwing.
 */
export class MetaDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetaDataError";
  }
}

export function isMetaApiError(err: unknown, kind?: MetaErrorKind): err is MetaApiError {
  return err instanceof MetaApiError && (kind === undefined || err.kind === kind);
}

/** Token-invalidation subcodes of code 190 (and the same subcodes seen on code 102). */
const TOKEN_SUBCODES = new Set([458, 459, 460, 463, 464, 467, 492]);
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
/** Used when a rate-limit answer does not say how long to wait. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * Removes what must never leave the process from free text: query strings of URLs (they can carry
 * access_token, appsecret_proof, code, client_secret), Meta tokens, and Authorization header values.
 * The logger has its own masking (pino-based, Node-only); this one is dependency-free for the core.
 */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const s of knownSecrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  return out
    .replace(/(https?:\/\/[^\s?#"'<>]+)\?[^\s#"'<>]*/gi, "$1?[query redacted]")
    .replace(/\bEAA[A-Za-z0-9]{10,}\b/g, "EAA[redacted]")
    .replace(/\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|code|token)=[^&\s"']+/gi, "$1=[redacted]")
    .replace(/\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=|-]{8,}/g, "$1 [redacted]")
    .replace(/\b\d{6,}\|[A-Za-z0-9_-]{8,}\b/g, "[app token redacted]");
}

interface GraphErrorBody {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  is_transient?: unknown;
  fbtrace_id?: unknown;
  error_user_msg?: unknown;
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

type HeaderSource = Headers | Record<string, string | undefined> | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | undefined>)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * How long Meta says to wait, in ms: the largest `estimated_time_to_regain_access` (minutes) in
 * X-Business-Use-Case-Usage, else X-Ad-Account-Usage `reset_time_duration` (seconds) when the account
 * is at 100 %, else undefined.
 */
export function waitFromUsageHeaders(headers: HeaderSource): number | undefined {
  let minutes = 0;
  const buc = parseJson(header(headers, "x-business-use-case-usage"));
  if (buc && typeof buc === "object") {
    for (const entries of Object.values(buc as Record<string, unknown>)) {
      if (!Array.isArray(entries)) continue;
      for (const e of entries) minutes = Math.max(minutes, num((e as Record<string, unknown>)?.estimated_time_to_regain_access) ?? 0);
    }
  }
  if (minutes > 0) return minutes * 60_000;
  const acc = parseJson(header(headers, "x-ad-account-usage")) as Record<string, unknown> | undefined;
  const reset = num(acc?.reset_time_duration);
  const pct = Number(acc?.acc_id_util_pct ?? 0);
  if (reset && reset > 0 && pct >= 100) return reset * 1000;
  return undefined;
}

/**
 * Maps one failed Graph response to a MetaApiError. `body` is the parsed JSON (or raw text) of the
 * response; `path` (no query string) is only used for the message.
 */
export function classifyGraphError(httpStatus: number, body: unknown, headers?: HeaderSource, path?: string): MetaApiError {
  const parsed = typeof body === "string" ? parseJson(body) : body;
  const err = (parsed && typeof parsed === "object" ? (parsed as { error?: unknown }).error : undefined) as GraphErrorBody | undefined;
  const code = num(err?.code);
  const subcode = num(err?.error_subcode);
  const fbtraceId = typeof err?.fbtrace_id === "string" ? err.fbtrace_id : undefined;
  const metaMessage = typeof err?.message === "string" ? err.message : httpStatus ? `HTTP ${httpStatus}` : "no response";
  const isTransient = err?.is_transient === true;
  const where = path ? ` (${path.split("?")[0]})` : "";
  const details = { code, subcode, httpStatus, fbtraceId, metaMessage };
  const make = (kind: MetaErrorKind, extra: Partial<MetaApiErrorDetails> = {}) =>
    new MetaApiError(
      kind,
      `Meta API ${kind.replace(/_/g, " ")}${where}: ${metaMessage}${code !== undefined ? ` [code ${code}${subcode !== undefined ? `/${subcode}` : ""}]` : ""}`,
      {
        ...details,
        ...extra,
      },
    );

  // A deprecated or unknown API version: say which one, and what to set (ADR 0070).
  if (code === 2635) return new MetaApiError("invalid_request", deprecatedVersionMessage(/^\/?(v\d+\.\d+)\//.exec(path ?? "")?.[1]), details);
  if (code === 190 || code === 102 || (code === undefined && subcode !== undefined && TOKEN_SUBCODES.has(subcode))) return make("token_invalid");
  if (code !== undefined && (RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014))) {
    return make("rate_limited", { retryAfterMs: waitFromUsageHeaders(headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS });
  }
  if (code === 10 || code === 3 || (code !== undefined && code >= 200 && code <= 299)) return make("permission");
  if (code === 100 && subcode === 1487534) return make("too_much_data");
  if (code === 100 && subcode === 3018) return make("history_limit");
  if (code === 3018) return make("history_limit");
  // "Please reduce the amount of data you're asking for" comes as code 1 / HTTP 500: shrink, don't hammer.
  if (code === 1 && /reduce the amount of data/i.test(metaMessage)) return make("too_much_data");
  // Async report failures: -3/1504045 is "report too large", -2 and the rest "report failed".
  if (code === -3 || subcode === 1504045) return make("too_much_data");
  if (code === -2) return make("async_failed");
  if (code === 1 || code === 2 || isTransient || httpStatus >= 500 || httpStatus === 0 || code === 960) return make("transient");
  if (code === 100 || code === 2500 || code === 2635 || code === 2642 || (httpStatus >= 400 && httpStatus < 500 && code !== undefined)) {
    return make("invalid_request");
  }
  if (httpStatus === 401) return make("token_invalid");
  if (httpStatus === 403) return make("permission");
  if (httpStatus === 429) return make("rate_limited", { retryAfterMs: waitFromUsageHeaders(headers) ?? DEFAULT_RATE_LIMIT_WAIT_MS });
  return make("unknown");
}

/** A request that never got an answer: timeouts and dropped connections are transient. */
export function networkError(reason: "timeout" | "dropped", path: string, cause?: unknown): MetaApiError {
  const what = reason === "timeout" ? "timed out" : "connection dropped";
  return new MetaApiError("transient", `Meta API request ${what} (${path.split("?")[0]})`, { httpStatus: 0, cause: sanitizedCause(cause) });
}

/** Causes can carry URLs with tokens (undici puts the URL into some messages); keep only a safe summary. */
function sanitizedCause(cause: unknown): unknown {
  if (!cause) return undefined;
  const e = cause as { name?: string; message?: string; code?: string };
  return { name: e.name, code: e.code, message: e.message ? redactSecrets(String(e.message)) : undefined };
}
