/**
 * Session cookies for tests that call loaders/actions (or a running server) as a given user.
 * Goes through the real session code: a row in public.sessions and a signed cookie.
 */
import { createUserSession } from "../../app/.server/auth/session";

/** A `Cookie` request-header value that signs in `userId`. */
export async function sessionCookieFor(userId: string): Promise<string> {
  const setCookie = await createUserSession(new Request("http://localhost/login"), userId);
  return setCookie.split(";")[0];
}

/** A GET (or other) Request for `path`, signed in as `userId` when given. */
export async function requestAs(userId: string | null, path: string, init: RequestInit = {}): Promise<Request> {
  const headers = new Headers(init.headers);
  if (userId) headers.set("Cookie", await sessionCookieFor(userId));
  return new Request(new URL(path, "http://localhost"), { ...init, headers });
}
