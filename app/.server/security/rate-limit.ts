/**
 * Abuse limits for the endpoints that take a secret guess or send mail: login, sign-up, invitation
 * acceptance and password reset. Each attempt counts against the client IP and, when the form names
 * one, against the account (e-mail), in fixed windows kept in Postgres (private.rate_limits) so all
 * app processes share the counts.
 *
 * The answer never depends on whether the account exists: unknown e-mails are counted exactly like
 * known ones.
 */
import { createHash } from "node:crypto";
import { asUser } from "../db/connection";
import { logger } from "../logger";

export type RateLimitKind = "login" | "signup" | "invite_accept" | "password_reset" | "report_share";

interface Rule {
  limit: number;
  windowSeconds: number;
}

/** Per kind: a rule per client IP and one per account. */
export const RATE_LIMITS: Record<RateLimitKind, { ip: Rule; account: Rule }> = {
  login: { ip: { limit: 10, windowSeconds: 60 }, account: { limit: 5, windowSeconds: 15 * 60 } },
  signup: { ip: { limit: 10, windowSeconds: 60 * 60 }, account: { limit: 5, windowSeconds: 60 * 60 } },
  invite_accept: { ip: { limit: 10, windowSeconds: 60 }, account: { limit: 10, windowSeconds: 15 * 60 } },
  password_reset: { ip: { limit: 5, windowSeconds: 15 * 60 }, account: { limit: 3, windowSeconds: 60 * 60 } },
  // public report links (page, PDF, logo): a client reading a report is far below this; guessing is not
  report_share: { ip: { limit: 60, windowSeconds: 60 }, account: { limit: 60, windowSeconds: 60 } },
};

export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Buckets hold a hash: the table never stores an e-mail address or an IP. */
function bucket(kind: RateLimitKind, scope: "ip" | "account", value: string) {
  const digest = createHash("sha256").update(`${kind}\0${scope}\0${value}`).digest("base64url").slice(0, 32);
  return `${kind}:${scope}:${digest}`;
}

/**
 * Counts one attempt of `kind` from `ip` (and for `account`, normalised to lower case) and says
 * whether it may proceed. Call it before doing the expensive or sensitive work.
 */
export async function checkRateLimit(kind: RateLimitKind, who: { ip: string | null; account?: string | null }): Promise<RateLimitResult> {
  const rules = RATE_LIMITS[kind];
  const checks: [string, Rule][] = [];
  // No IP only when an action is called outside the HTTP server (tests, scripts): the server always
  // passes one, so this is no way around the limit for a real client.
  if (who.ip) checks.push([bucket(kind, "ip", who.ip), rules.ip]);
  const account = who.account?.trim().toLowerCase();
  if (account) checks.push([bucket(kind, "account", account), rules.account]);
  if (!checks.length) return { ok: true };
  const results = await asUser(null, async (tx) => {
    const out: { hits: number; retry: number; limit: number }[] = [];
    for (const [b, rule] of checks) {
      const [row] = await tx<{ hits: number; retry_after_seconds: number }[]>`
        select hits, retry_after_seconds from private.hit_rate_limit(${b}, ${rule.windowSeconds})`;
      out.push({ hits: row.hits, retry: row.retry_after_seconds, limit: rule.limit });
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

/** The 429 answer for a refused attempt (throw or return it from an action). */
export function rateLimitResponse(result: { ok: false; retryAfterSeconds: number }): Response {
  const minutes = Math.ceil(result.retryAfterSeconds / 60);
  const message = `Too many attempts. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`;
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
