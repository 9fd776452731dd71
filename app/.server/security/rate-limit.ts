/**
 * Abuse limits for the endpoints that take a secret guess or send mail: login, sign-up, invitation
 * acceptance, password reset and the current-password check. Each attempt counts against the client
 * IP and, when the form names one, against the account, in fixed windows kept in Postgres
 * (private.rate_limits) so all app processes share the counts. Secret checks (login, current
 * password) count failures only: `beginAttempt` counts first and hands the hit back on success.
 *
 * The answer never depends on whether the account exists: unknown e-mails are counted exactly like
 * known ones.
 */
import { createHash } from "node:crypto";
import { asUser } from "../db/connection";
import { logContext, logger } from "../logger";

export type RateLimitKind = "login" | "signup" | "invite_accept" | "password_reset" | "current_password" | "report_share";

export interface Rule {
  limit: number;
  windowSeconds: number;
}

/**
 * Per kind: a rule per client IP and one per account. Logins have their own keys (per account and
 * IP, plus a higher ceiling per account; see login-limits.ts and ADR 0062), and count failures only.
 */
export const RATE_LIMITS: Record<Exclude<RateLimitKind, "login">, { ip: Rule; account: Rule }> = {
  signup: { ip: { limit: 10, windowSeconds: 60 * 60 }, account: { limit: 5, windowSeconds: 60 * 60 } },
  invite_accept: { ip: { limit: 10, windowSeconds: 60 }, account: { limit: 10, windowSeconds: 15 * 60 } },
  password_reset: { ip: { limit: 5, windowSeconds: 15 * 60 }, account: { limit: 3, windowSeconds: 60 * 60 } },
  // the current-password check in /account (change password, change email), failures only, per user
  current_password: { ip: { limit: 10, windowSeconds: 15 * 60 }, account: { limit: 5, windowSeconds: 15 * 60 } },
  // public report links (page, PDF, logo): a client reading a report is far below this; guessing is not
  report_share: { ip: { limit: 60, windowSeconds: 60 }, account: { limit: 60, windowSeconds: 60 } },
};

export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Buckets hold a hash: the table never stores an e-mail address or an IP. */
export function bucket(kind: string, scope: string, value: string) {
  const digest = createHash("sha256").update(`${kind}\0${scope}\0${value}`).digest("base64url").slice(0, 32);
  return `${kind}:${scope}:${digest}`;
}

/** One counter to bump: its bucket and the rule it is held to. */
export interface Counter {
  bucket: string;
  rule: Rule;
}

/** Bumps every counter once (one upsert each, atomic per bucket) and says whether all are within their limit. */
export async function countHits(kind: string, counters: Counter[]): Promise<RateLimitResult> {
  if (!counters.length) return { ok: true };
  const results = await asUser(null, async (tx) => {
    const out: { hits: number; retry: number; limit: number }[] = [];
    for (const c of counters) {
      const [row] = await tx<{ hits: number; retry_after_seconds: number }[]>`
        select hits, retry_after_seconds from private.hit_rate_limit(${c.bucket}, ${c.rule.windowSeconds})`;
      out.push({ hits: row.hits, retry: row.retry_after_seconds, limit: c.rule.limit });
    }
    // Old windows are dead weight; about one call in 500 clears them.
    if (Math.random() < 0.002) await tx`select private.prune_rate_limits()`;
    return out;
  });
  const blocked = results.filter((r) => r.hits > r.limit);
  if (!blocked.length) return { ok: true };
  const retryAfterSeconds = Math.max(...blocked.map((r) => r.retry));
  logger.warn({ kind, retryAfterSeconds }, "rate limit reached");
  return { ok: false, retryAfterSeconds };
}

/** Hands back one hit per counter (after a success: only failures should count). */
export async function refundHits(counters: Counter[]): Promise<void> {
  if (!counters.length) return;
  await asUser(null, async (tx) => {
    for (const c of counters) await tx`select private.refund_rate_limit(${c.bucket}, ${c.rule.windowSeconds})`;
  });
}

/**
 * An attempt that counts only if it fails: counted before the secret is checked (so a burst of
 * parallel guesses cannot all pass before the first failure lands), handed back on success.
 */
export async function beginAttempt(
  kind: string,
  counters: Counter[],
): Promise<{ ok: false; retryAfterSeconds: number } | { ok: true; succeeded(): Promise<void> }> {
  const result = await countHits(kind, counters);
  if (!result.ok) return result;
  return { ok: true, succeeded: () => refundHits(counters) };
}

/**
 * Counts one attempt of `kind` from `ip` (and for `account`, normalised to lower case) and says
 * whether it may proceed. Call it before doing the expensive or sensitive work.
 */
export async function checkRateLimit(kind: Exclude<RateLimitKind, "login">, who: { ip: string | null; account?: string | null }): Promise<RateLimitResult> {
  const rules = RATE_LIMITS[kind];
  const counters: Counter[] = [];
  // No IP only when an action is called outside the HTTP server (tests, scripts): the server always
  // passes one, so this is no way around the limit for a real client.
  if (who.ip) counters.push({ bucket: bucket(kind, "ip", who.ip), rule: rules.ip });
  const account = who.account?.trim().toLowerCase();
  if (account) counters.push({ bucket: bucket(kind, "account", account), rule: rules.account });
  return countHits(kind, counters);
}

/** Thrown by server modules when an attempt limit is reached; routes answer 429 with Retry-After. */
export class TooManyAttemptsError extends Error {
  readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super(tooManyMessage(retryAfterSeconds));
    noteRetryAfter(retryAfterSeconds);
    this.name = "TooManyAttemptsError";
  }
}

function tooManyMessage(retryAfterSeconds: number) {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return `Too many attempts. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
}

/** Records Retry-After for this request (see LogContext.retryAfterSeconds); the longest wait wins. */
export function noteRetryAfter(seconds: number) {
  const ctx = logContext();
  if (ctx) ctx.retryAfterSeconds = Math.max(ctx.retryAfterSeconds ?? 0, seconds);
}

/** The 429 answer for a refused attempt (throw or return it from an action). */
export function rateLimitResponse(result: { ok: false; retryAfterSeconds: number }): Response {
  noteRetryAfter(result.retryAfterSeconds);
  const message = tooManyMessage(result.retryAfterSeconds);
  return new Response(JSON.stringify({ error: message, retryAfterSeconds: result.retryAfterSeconds }), {
    status: 429,
    headers: { "Content-Type": "application/json; charset=utf-8", "Retry-After": String(result.retryAfterSeconds) },
  });
}

/**
 * The client's address as Express resolved it (honouring `trust proxy`), from the load context.
 * Never read from X-Forwarded-For here: anyone can send that header.
 */
export function clientIp(context: { clientIp?: string } | undefined): string | null {
  return context?.clientIp || null;
}
