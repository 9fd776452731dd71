/**
 * Server-side sessions. The cookie (signed with SESSION_SECRET) carries only a random session id;
 * the row in public.sessions says whose session it is and until when. Logging in always makes a new
 * id (no session fixation), logging out deletes the row, and expired rows are refused (and removed).
 *
 * Sessions are read before we know who the user is, so the lookups here run with asService: this is
 * one of the few privileged request paths, and it only ever touches public.sessions and the user's
 * own id, email and name.
 */
import { randomBytes } from "node:crypto";
import { createCookie, createSessionStorage, redirect, type Session, type SessionStorage } from "@remix-run/node";
import { asService } from "../db/connection";
import { env } from "../env";
import { bindLogContext } from "../logger";
import { memoAccess } from "../warm/access";

export const SESSION_COOKIE = "__spendlane_session";
export const SESSION_MAX_AGE_SECONDS = 60 * 60 * 24 * 30;
// last_seen_at is informational ("active 3 minutes ago" on the account page); write it at most this often.
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export interface SessionUser {
  id: string;
  email: string;
  name: string | null;
  sessionId: string;
}

interface SessionData {
  userId: string;
  email: string;
  name: string | null;
  /** Only present while a login creates the row (stored in columns, not in the cookie). */
  userAgent?: string | null;
  ip?: string | null;
}

function newSessionId() {
  return randomBytes(32).toString("base64url");
}

function clientIp(request: Request): string | null {
  // Only informational (shown on the account page); never used for a security decision.
  const fwd = request.headers.get("x-forwarded-for");
  return fwd ? fwd.split(",")[0].trim().slice(0, 64) : null;
}

let storage: SessionStorage<SessionData> | undefined;
let storageSecret: string | undefined;

/** The session storage (rebuilt when the secret changes, which only tests do). */
export function sessionStorage(): SessionStorage<SessionData> {
  const e = env();
  if (storage && storageSecret === e.SESSION_SECRET) return storage;
  storageSecret = e.SESSION_SECRET;
  const cookie = createCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: "lax",
    secure: e.NODE_ENV === "production" && !(e.APP_URL ?? "").startsWith("http://"),
    path: "/",
    maxAge: SESSION_MAX_AGE_SECONDS,
    secrets: [e.SESSION_SECRET],
  });
  storage = createSessionStorage<SessionData>({
    cookie,
    async createData(data, expires) {
      const userId = data.userId;
      if (!userId) throw new Error("A session needs a user");
      const id = newSessionId();
      const expiresAt = expires ?? new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000);
      await asService(async (tx) => {
        // Expired rows are refused on read; a login also clears this user's leftovers.
        await tx`delete from public.sessions where user_id = ${userId} and expires_at <= now()`;
        await tx`
          insert into public.sessions (id, user_id, expires_at, user_agent, ip)
          values (${id}, ${userId}, ${expiresAt}, ${data.userAgent ?? null}, ${data.ip ?? null})`;
      });
      return id;
    },
    async readData(id) {
      if (!id || id.length > 128) return null;
      return asService(async (tx) => {
        const [row] = await tx<{ user_id: string; email: string; name: string | null; expired: boolean; stale: boolean }[]>`
          select s.user_id, u.email, u.name, s.expires_at <= now() as expired,
                 s.last_seen_at < now() - ${TOUCH_EVERY_MS / 1000} * interval '1 second' as stale
          from public.sessions s join public.users u on u.id = s.user_id
          where s.id = ${id}`;
        if (!row) return null;
        if (row.expired) {
          await tx`delete from public.sessions where id = ${id}`;
          return null;
        }
        if (row.stale) await tx`update public.sessions set last_seen_at = now() where id = ${id}`;
        return { userId: row.user_id, email: row.email, name: row.name };
      });
    },
    async updateData(id, data, expires) {
      // The only data is the user id, fixed at creation; commits extend the expiry at most.
      const userId = data.userId;
      if (expires && userId) await asService((tx) => tx`update public.sessions set expires_at = ${expires} where id = ${id} and user_id = ${userId}`);
    },
    async deleteData(id) {
      await asService((tx) => tx`delete from public.sessions where id = ${id}`);
    },
  });
  return storage;
}

async function readSession(request: Request): Promise<Session<SessionData>> {
  return sessionStorage().getSession(request.headers.get("Cookie"));
}

/** The signed-in user, or null (no cookie, bad signature, unknown or expired session). */
export async function getUser(request: Request): Promise<SessionUser | null> {
  const cookie = request.headers.get("Cookie");
  // GET requests of the HTTP server reuse the answer for the same signed cookie for a few seconds (ADR 0150)
  if (!cookie) return null;
  return memoAccess(request, `session|${cookie}`, () => readUser(request));
}

async function readUser(request: Request): Promise<SessionUser | null> {
  const session = await readSession(request);
  const userId = session.get("userId");
  if (!userId || !session.id) return null;
  return { id: userId, email: session.get("email")!, name: session.get("name") ?? null, sessionId: session.id };
}

/** The signed-in user; otherwise a redirect to /login that comes back here afterwards. */
export async function requireUser(request: Request): Promise<SessionUser> {
  const user = await getUser(request);
  if (user) {
    // later log lines of this request (and its access-log line) name the user
    bindLogContext({ userId: user.id });
    return user;
  }
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  throw redirect(back && back !== "/" ? `/login?${new URLSearchParams({ redirectTo: back })}` : "/login");
}

/**
 * Starts a fresh session for `userId` and returns its Set-Cookie header. Any session the request
 * already carried is deleted first, so a login never keeps a previous id.
 */
export async function createUserSession(request: Request, userId: string): Promise<string> {
  const store = sessionStorage();
  const old = await readSession(request);
  if (old.id) await store.destroySession(old);
  const session = await store.getSession();
  session.set("userId", userId);
  session.set("userAgent", request.headers.get("user-agent")?.slice(0, 300) ?? null);
  session.set("ip", clientIp(request));
  return store.commitSession(session, { maxAge: SESSION_MAX_AGE_SECONDS });
}

/** Deletes the request's session row and returns the Set-Cookie header that clears the cookie. */
export async function destroyUserSession(request: Request): Promise<string> {
  return sessionStorage().destroySession(await readSession(request));
}

/** Ends every session of a user (after a password reset or change), optionally keeping one. */
export async function destroyAllSessions(userId: string, exceptSessionId?: string): Promise<number> {
  const rows = await asService(
    (tx) => tx`
    delete from public.sessions where user_id = ${userId} and id <> ${exceptSessionId ?? ""} returning id`,
  );
  return rows.length;
}
