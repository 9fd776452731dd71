/**
 * Login attempt limits (ADR 0062). The old rule, 5 attempts per e-mail per 15 minutes from anywhere,
 * let anyone lock the real owner out from their own IP, and counted successful logins too. Now:
 *
 * - only failures count (an attempt is counted before the password check and handed back when it
 *   succeeds, so parallel guesses cannot all slip through before the first failure lands);
 * - per client IP: 10 failures a minute, whatever the accounts;
 * - per account and IP: 5 failures per 15 minutes. A guesser at one address is stopped there and
 *   the owner elsewhere is not;
 * - per account from everywhere: a higher ceiling (30 failures per 15 minutes) against guessing
 *   spread over many addresses. A browser that has signed in to that account before carries a
 *   signed device cookie and is not held to this ceiling (only to its own account+IP bucket), so a
 *   distributed attack slows the guessers down without locking the owner out of their usual browser.
 *
 * The client IP is Express's `req.ip`, which honours X-Forwarded-For only from the proxies named in
 * TRUST_PROXY (server/app.ts): a forged header from anywhere else changes nothing.
 */
import { createHash } from "node:crypto";
import { createCookie } from "@remix-run/node";
import { env } from "../env";
import { beginAttempt, bucket, type Counter, type Rule } from "./rate-limit";

export const LOGIN_LIMITS: { ip: Rule; accountIp: Rule; account: Rule } = {
  ip: { limit: 10, windowSeconds: 60 },
  accountIp: { limit: 5, windowSeconds: 15 * 60 },
  account: { limit: 30, windowSeconds: 15 * 60 },
};

const DEVICE_COOKIE = "__spendlane_device";
const DEVICE_MAX_AGE_SECONDS = 365 * 24 * 3600;
/** A shared computer remembers at most this many accounts (newest kept). */
const MAX_ACCOUNTS_PER_DEVICE = 10;

function deviceCookie() {
  const e = env();
  return createCookie(DEVICE_COOKIE, {
    httpOnly: true,
    sameSite: "lax",
    path: "/login",
    maxAge: DEVICE_MAX_AGE_SECONDS,
    secure: e.NODE_ENV === "production" && !(e.APP_URL ?? "").startsWith("http://"),
    secrets: [e.SESSION_SECRET],
  });
}

/** What the device cookie holds per account: a keyed digest of the e-mail, not the e-mail itself. */
function accountMark(email: string) {
  return createHash("sha256").update(`device\0${env().SESSION_SECRET}\0${email}`).digest("base64url").slice(0, 22);
}

async function deviceMarks(cookieHeader: string | null): Promise<string[]> {
  const value = await deviceCookie().parse(cookieHeader);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").slice(0, MAX_ACCOUNTS_PER_DEVICE) : [];
}

function normalise(email: string) {
  return email.trim().toLowerCase().slice(0, 254);
}

export type LoginAttempt =
  | { ok: false; retryAfterSeconds: number }
  | {
      ok: true;
      /** Call after a correct password: hands the counted attempt back and returns the device cookie to set. */
      succeeded(): Promise<string>;
    };

/** Counts a login attempt against the limits above; see the module comment. */
export async function beginLoginAttempt(who: { ip: string | null; email: string; cookieHeader: string | null }): Promise<LoginAttempt> {
  const email = normalise(who.email);
  const marks = await deviceMarks(who.cookieHeader);
  const knownDevice = email !== "" && marks.includes(accountMark(email));
  const counters: Counter[] = [];
  if (who.ip) counters.push({ bucket: bucket("login", "ip", who.ip), rule: LOGIN_LIMITS.ip });
  if (email) {
    counters.push({ bucket: bucket("login", "account_ip", `${email}\0${who.ip ?? ""}`), rule: LOGIN_LIMITS.accountIp });
    if (!knownDevice) counters.push({ bucket: bucket("login", "account", email), rule: LOGIN_LIMITS.account });
  }
  const attempt = await beginAttempt("login", counters);
  if (!attempt.ok) return attempt;
  return {
    ok: true,
    async succeeded() {
      await attempt.succeeded();
      const mark = accountMark(email);
      const next = [mark, ...marks.filter((m) => m !== mark)].slice(0, MAX_ACCOUNTS_PER_DEVICE);
      return deviceCookie().serialize(next);
    },
  };
}
