/**
 * Sign-up, password login and "Continue with Facebook", driven through the real route modules with
 * real Requests (cookies carried by hand) against the database and the local Meta emulator.
 */
import { DEFAULT_META_API_VERSION } from "../../app/.server/meta/versions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as argon2 from "@node-rs/argon2";

// A pass-through spy on argon2's verify, to see that unknown emails pay for a verification too.
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof import("@node-rs/argon2")>();
  return { ...real, verify: vi.fn(real.verify) };
});
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { getUser } from "../../app/.server/auth/session";
import { LOGIN_FAILED, verifyLogin } from "../../app/.server/auth/password";
import { signUp } from "../../app/.server/auth/accounts";
import { dummyPasswordHash } from "../../app/.server/tenancy/users";
import { InputError } from "../../app/.server/errors";
import * as loginRoute from "../../app/routes/login";
import * as signupRoute from "../../app/routes/signup";
import * as logoutRoute from "../../app/routes/logout";
import * as fbStart from "../../app/routes/auth.facebook";
import * as fbCallback from "../../app/routes/auth.facebook.callback";
import * as resetRoute from "../../app/routes/reset-password.$token";
import * as accountRoute from "../../app/routes/account";
import * as confirmRoute from "../../app/routes/confirm-email.$token";
import { requestPasswordReset } from "../../app/.server/auth/password-reset";
import { firstLink, listOutbox } from "../../app/.server/mail";
import { acceptInvitation } from "../../app/.server/tenancy/invitation-accept";
import { inviteMember } from "../../app/.server/tenancy/invitations";
import { startEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph";
import { TEST_PASSWORD, createAgencyFixture, createUser, uniq } from "../helpers/factories";

const ORIGIN = "http://localhost:3000";
const args = (request: Request) => ({ request, params: {}, context: { nonce: "", requestId: "test", clientIp: "127.0.0.1" } });

/** A tiny cookie jar: Set-Cookie headers in, Cookie header out (expired cookies dropped). */
class Jar {
  private cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || pair.slice(i + 1) === "") this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(i + 1));
    }
    return res;
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  has(prefix: string) {
    return [...this.cookies.keys()].some((k) => k.startsWith(prefix));
  }
}

function form(path: string, fields: Record<string, string>, jar?: Jar) {
  return new Request(ORIGIN + path, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...(jar ? { Cookie: jar.header() } : {}) },
  });
}

/** Runs a loader/action and returns the Response whether it was returned or thrown. */
async function call(fn: () => Promise<unknown>): Promise<Response> {
  try {
    const r = await fn();
    if (r instanceof Response) return r;
    // Remix `data()` results: { type: "DataWithResponseInit", data, init }
    const d = r as { data?: unknown; init?: { status?: number } };
    return new Response(JSON.stringify(d.data ?? r), { status: d.init?.status ?? 200 });
  } catch (err) {
    if (err instanceof Response) return err;
    throw err;
  }
}

describe("sign-up", () => {
  it("creates the user and their agency as owner, then logs in", async () => {
    const email = `${uniq("su")}@example.test`;
    const jar = new Jar();
    const res = jar.take(
      await call(() => signupRoute.action(args(form("/signup", { name: "Ana", email, password: "correct-horse-1", agencyName: "Ana's Agency" })))),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/a");
    const user = await getUser(new Request(ORIGIN + "/a", { headers: { Cookie: jar.header() } }));
    expect(user?.email).toBe(email);
    const [m] = await asService(
      (tx) => tx`select a.slug, m.role from public.agency_members m join public.agencies a on a.id = m.agency_id where m.user_id = ${user!.id}`,
    );
    expect(m).toEqual({ slug: "ana-s-agency", role: "owner" });
  });

  it.each([
    [{ name: "", email: "x@example.test", password: "correct-horse-1", agencyName: "A" }, "name"],
    [{ name: "X", email: "not-an-email", password: "correct-horse-1", agencyName: "A" }, "email"],
    [{ name: "X", email: "x@example.test", password: "short1", agencyName: "A" }, "password"],
    [{ name: "X", email: "x@example.test", password: "onlyletterslong", agencyName: "A" }, "password"],
    [{ name: "X", email: "x@example.test", password: "correct-horse-1", agencyName: "" }, "agencyName"],
    [{ name: "X", email: "x@example.test", password: "correct-horse-1", agencyName: "A".repeat(121) }, "agencyName"],
    [{ name: "X", email: "x@example.test", password: "correct-horse-1", agencyName: "A", agencySlug: "Bad Slug!" }, "agencySlug"],
    [{ email: "x@example.test", password: "correct-horse-1", agencyName: "A" }, "name"],
  ])("refuses bad input %j with a field error and creates nothing", async (template, field) => {
    // A fresh address per case (test files share the database), so "nothing created" is exact.
    const email = template.email === "x@example.test" ? `${uniq("bad")}@example.test` : template.email;
    const input = { ...template, email };
    const err = await signUp(input).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(Object.keys((err as InputError).fields)).toContain(field);
    expect(await asService((tx) => tx`select 1 from public.users where lower(email) = lower(${email})`)).toHaveLength(0);
  });

  it("refuses a duplicate email", async () => {
    const existing = await createUser();
    const err = await signUp({ name: "X", email: existing.email.toUpperCase(), password: "correct-horse-1", agencyName: "Dup" }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).fields.email).toMatch(/already exists/);
  });

  it("leaves no user behind when the agency insert fails (taken slug)", async () => {
    const taken = await createAgencyFixture();
    const email = `${uniq("half")}@example.test`;
    const err = await signUp({ name: "X", email, password: "correct-horse-1", agencyName: "Whatever", agencySlug: taken.agency.slug }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).fields.agencySlug).toMatch(/taken/);
    expect(await asService((tx) => tx`select 1 from public.users where email = ${email}`)).toHaveLength(0);
  });

  it("shows form errors on the page without echoing the password", async () => {
    const res = await call(() => signupRoute.action(args(form("/signup", { name: "X", email: "bad", password: "secret-pass-99", agencyName: "A" }))));
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain("Enter a valid email address");
    expect(body).not.toContain("secret-pass-99");
  });
});

describe("password login", () => {
  it("logs in, honours a safe redirectTo, ignores an unsafe one, and logs out", async () => {
    const u = await createUser();
    const jar = new Jar();
    const ok = jar.take(await call(() => loginRoute.action(args(form("/login", { email: u.email, password: TEST_PASSWORD, redirectTo: "/a/x/clients" })))));
    expect(ok.status).toBe(302);
    expect(ok.headers.get("Location")).toBe("/a/x/clients");
    const evil = await call(() => loginRoute.action(args(form("/login", { email: u.email, password: TEST_PASSWORD, redirectTo: "//evil.example" }))));
    expect(evil.headers.get("Location")).toBe("/a");
    const out = jar.take(await call(() => logoutRoute.action(args(form("/logout", {}, jar)))));
    expect(out.headers.get("Location")).toBe("/login");
    expect(jar.has("__spendlane_session")).toBe(false);
  });

  it("gives the same neutral error for an unknown email and a wrong password", async () => {
    const u = await createUser();
    const wrong = await call(() => loginRoute.action(args(form("/login", { email: u.email, password: "wrong-password-1" }))));
    const unknown = await call(() => loginRoute.action(args(form("/login", { email: `${uniq("nobody")}@example.test`, password: "wrong-password-1" }))));
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const [a, b] = [await wrong.json(), await unknown.json()];
    expect(a.error).toBe(LOGIN_FAILED);
    expect(b.error).toBe(LOGIN_FAILED);
    expect(wrong.headers.get("Set-Cookie")).toBeNull();
  });

  it("verifies unknown emails against the dummy hash, so timing does not reveal them", async () => {
    const u = await createUser();
    const verify = vi.mocked(argon2.verify);
    const dummy = await dummyPasswordHash();
    verify.mockClear();
    await expect(verifyLogin({ email: `${uniq("nobody")}@example.test`, password: "wrong-password-1" })).rejects.toThrow(LOGIN_FAILED);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0][0]).toBe(dummy);
    verify.mockClear();
    await expect(verifyLogin({ email: u.email, password: "wrong-password-1" })).rejects.toThrow(LOGIN_FAILED);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0][0]).not.toBe(dummy);
  });
});

describe("Continue with Facebook (against the Meta emulator)", () => {
  let emu: RunningEmulator;
  const saved: Record<string, string | undefined> = {};
  const ENV = (url: string) => ({ META_APP_ID: DEFAULT_APP_ID, META_APP_SECRET: DEFAULT_APP_SECRET, META_GRAPH_URL: url, META_WEB_URL: url, APP_URL: ORIGIN });

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, seed: "auth-tests", requireAppsecretProof: true });
    for (const [k, v] of Object.entries(ENV(emu.url))) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    resetEnvForTests();
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetEnvForTests();
    await emu?.close();
  });

  /** Starts the flow, lets the emulated person approve (or deny) as `fbUserId`, returns the callback Response. */
  async function facebookLogin(jar: Jar, fbUserId: string, decision: "approve" | "deny" = "approve") {
    const start = jar.take(await call(() => fbStart.action(args(form("/auth/facebook", {}, jar)))));
    expect(start.status).toBe(302);
    const dialogUrl = new URL(start.headers.get("Location")!);
    expect(dialogUrl.origin + dialogUrl.pathname).toBe(`${emu.url}/${DEFAULT_META_API_VERSION}/dialog/oauth`);
    expect(dialogUrl.searchParams.get("redirect_uri")).toBe(`${ORIGIN}/auth/facebook/callback`);
    expect(dialogUrl.searchParams.get("state")).toMatch(/.{20,}/);
    const dialog = await (await fetch(dialogUrl)).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(dialog)![1];
    const action = /<form method="post" action="([^"]+)"/.exec(dialog)![1];
    const decided = await fetch(new URL(action, emu.url), {
      method: "POST",
      body: new URLSearchParams({ request_id: requestId, user_id: fbUserId, decision }),
      redirect: "manual",
    });
    const back = decided.headers.get("Location")!;
    expect(back.startsWith(`${ORIGIN}/auth/facebook/callback?`)).toBe(true);
    return jar.take(await call(() => fbCallback.loader(args(new Request(back, { headers: { Cookie: jar.header() } })))));
  }

  it("a new Facebook user finishes sign-up with email and agency, and later logs straight in", async () => {
    const fbId = "100000000000003"; // Chika Tanaka in the emulator's seeded world
    const jar = new Jar();
    const cb = await facebookLogin(jar, fbId);
    expect(cb.headers.get("Location")).toBe("/signup?via=facebook");
    expect(jar.has("__spendlane_fb_pending")).toBe(true);

    const page = await call(() => signupRoute.loader(args(new Request(ORIGIN + "/signup?via=facebook", { headers: { Cookie: jar.header() } }))));
    expect(await page.json()).toEqual({ facebook: { name: "Chika Tanaka", email: "chika@example.test" } });

    const email = `${uniq("chika")}@example.test`;
    const done = jar.take(await call(() => signupRoute.action(args(form("/signup", { intent: "facebook", email, agencyName: "Kumo Media" }, jar)))));
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/a");
    expect(jar.has("__spendlane_fb_pending")).toBe(false);
    const me = await getUser(new Request(ORIGIN + "/a", { headers: { Cookie: jar.header() } }));
    expect(me).toMatchObject({ email, name: "Chika Tanaka" });
    const [row] = await asService((tx) => tx`select facebook_user_id, password_hash from public.users where id = ${me!.id}`);
    expect(row).toEqual({ facebook_user_id: fbId, password_hash: null });

    const jar2 = new Jar();
    const again = await facebookLogin(jar2, fbId);
    expect(again.headers.get("Location")).toBe("/a");
    expect((await getUser(new Request(ORIGIN + "/a", { headers: { Cookie: jar2.header() } })))?.id).toBe(me!.id);
  });

  it("never links a Facebook login to an existing password account by email", async () => {
    const existing = await createUser();
    const jar = new Jar();
    await facebookLogin(jar, "100000000000002");
    const res = await call(() => signupRoute.action(args(form("/signup", { intent: "facebook", email: existing.email, agencyName: "Takeover" }, jar))));
    expect(res.status).toBe(400);
    expect((await res.json()).fields.email).toMatch(/already exists/);
    const [row] = await asService((tx) => tx`select facebook_user_id from public.users where id = ${existing.id}`);
    expect(row.facebook_user_id).toBeNull();
  });

  // Review finding 1: an attacker signed up with Facebook using the victim's email; the victim later
  // reset the password and joined an agency, and the attacker's Facebook login still opened the account.
  it("pre-takeover: a Facebook sign-up with someone else's email loses its link when the owner takes the account over by email", async () => {
    const attackerFb = "100000000000004"; // Dana Nobody in the emulator's world
    const victimEmail = `${uniq("victim")}@example.test`;
    const jar = new Jar();
    expect((await facebookLogin(jar, attackerFb)).headers.get("Location")).toBe("/signup?via=facebook");
    const squat = jar.take(
      await call(() => signupRoute.action(args(form("/signup", { intent: "facebook", email: victimEmail, agencyName: "Squatters" }, jar)))),
    );
    expect(squat.status).toBe(302);
    const [victim] = await asService((tx) => tx<{ id: string }[]>`select id from public.users where email = ${victimEmail}`);

    // the real owner of the address resets the password by email; the page shows the linked login
    await requestPasswordReset({ email: victimEmail }, { baseUrl: ORIGIN });
    const [mail] = await listOutbox({ to: victimEmail, limit: 1 });
    const token = firstLink(mail.textBody)!.split("/reset-password/")[1];
    const page = await call(() => resetRoute.loader({ ...args(new Request(`${ORIGIN}/reset-password/${token}`)), params: { token } }));
    expect(await page.json()).toMatchObject({ valid: true, facebook: { proven: false } });
    // ... and submits the form as shown (the "keep" box unticked)
    const reset = await call(() =>
      resetRoute.action({ ...args(form(`/reset-password/${token}`, { password: "owner-password-77", confirm: "owner-password-77" })), params: { token } }),
    );
    expect(reset.headers.get("Location")).toBe("/login?reset=1");

    // then joins agency A by invitation
    const A = await createAgencyFixture({ workspaces: 1 });
    await inviteMember(A.owner.id, A.agency.id, { email: victimEmail, role: "member" }, { baseUrl: ORIGIN });
    const [invite] = await listOutbox({ to: victimEmail, limit: 1 });
    await acceptInvitation(victim.id, firstLink(invite.textBody)!.split("/invite/")[1]);

    // the attacker's Facebook login no longer reaches that account: it is a stranger again
    const back = await facebookLogin(new Jar(), attackerFb);
    expect(back.headers.get("Location")).toBe("/signup?via=facebook");
    expect(back.headers.get("Set-Cookie") ?? "").not.toContain("__spendlane_session");
    const [row] = await asService((tx) => tx`select facebook_user_id, email_verified_at is not null as verified from public.users where id = ${victim.id}`);
    expect(row).toEqual({ facebook_user_id: null, verified: true });
  });

  it("links Facebook to an existing account only from a signed-in session; the account page can remove it", async () => {
    const fbId = "100000000000001"; // Alice Martin
    const user = await createUser();
    const jar = new Jar();
    jar.take(await call(() => loginRoute.action(args(form("/login", { email: user.email, password: TEST_PASSWORD }, jar)))));
    expect(jar.has("__spendlane_session")).toBe(true);
    const linked = await facebookLogin(jar, fbId);
    expect(linked.headers.get("Location")).toBe("/account?fb=linked");
    const [row] = await asService((tx) => tx`select facebook_user_id, facebook_link_proven from public.users where id = ${user.id}`);
    // linked, but not proven: nobody has confirmed this account's address yet
    expect(row).toEqual({ facebook_user_id: fbId, facebook_link_proven: false });
    // now Facebook logs straight in to that account, from another browser
    const other = new Jar();
    expect((await facebookLogin(other, fbId)).headers.get("Location")).toBe("/a");
    expect((await getUser(new Request(ORIGIN + "/a", { headers: { Cookie: other.header() } })))?.id).toBe(user.id);
    // the account page lists it and removes it (the account has a password, so it is not the only way in)
    const page = await call(() => accountRoute.loader(args(new Request(ORIGIN + "/account", { headers: { Cookie: jar.header() } }))));
    expect(await page.json()).toMatchObject({ facebook: { linked: true } });
    const removed = await call(() => accountRoute.action(args(form("/account", { intent: "facebook-unlink" }, jar))));
    expect(removed.status).toBe(200);
    const [after] = await asService((tx) => tx`select facebook_user_id from public.users where id = ${user.id}`);
    expect(after.facebook_user_id).toBeNull();
  });

  it("an email change lists the linked Facebook login on its confirmation page and keeps it only when asked", async () => {
    const user = await createUser();
    await asService((tx) => tx`update public.users set facebook_user_id = ${"9" + Date.now()}, facebook_linked_at = now() where id = ${user.id}`);
    const jar = new Jar();
    jar.take(await call(() => loginRoute.action(args(form("/login", { email: user.email, password: TEST_PASSWORD }, jar)))));
    const newEmail = `${uniq("moved")}@example.test`;
    const asked = await call(() => accountRoute.action(args(form("/account", { intent: "email", email: newEmail, password: TEST_PASSWORD }, jar))));
    expect((await asked.json()).ok).toMatch(/confirmation link/);
    const [mail] = await listOutbox({ to: newEmail, limit: 1 });
    const token = firstLink(mail.textBody)!.split("/confirm-email/")[1];
    const page = await call(() => confirmRoute.loader({ ...args(new Request(`${ORIGIN}/confirm-email/${token}`)), params: { token } }));
    expect(await page.json()).toMatchObject({ valid: true, newEmail, facebook: { proven: false } });
    const done = await call(() => confirmRoute.action({ ...args(form(`/confirm-email/${token}`, { facebook: "keep" }, jar)), params: { token } }));
    expect(done.headers.get("Location")).toBe("/login?email-changed=1");
    const [row] = await asService(
      (tx) => tx`select email, facebook_link_proven, facebook_user_id is not null as linked from public.users where id = ${user.id}`,
    );
    expect(row).toEqual({ email: newEmail, facebook_link_proven: true, linked: true });
    // the old session is gone
    expect(await getUser(new Request(ORIGIN + "/a", { headers: { Cookie: jar.header() } }))).toBeNull();
  });

  it("Deny sends the person back to the login page with a notice", async () => {
    const res = await facebookLogin(new Jar(), "100000000000001", "deny");
    expect(res.headers.get("Location")).toBe("/login?fb=denied");
    expect(res.headers.get("Set-Cookie") ?? "").not.toContain("__spendlane_session");
  });

  it("refuses a callback whose state was not issued to this browser", async () => {
    const jar = new Jar();
    jar.take(await call(() => fbStart.action(args(form("/auth/facebook", {}, jar)))));
    const forged = new Request(`${ORIGIN}/auth/facebook/callback?code=AQforged&state=not-the-state`, { headers: { Cookie: jar.header() } });
    const res = await call(() => fbCallback.loader(args(forged)));
    expect(res.headers.get("Location")).toBe("/login?fb=failed");
    const noCookie = await call(() => fbCallback.loader(args(new Request(`${ORIGIN}/auth/facebook/callback?code=x&state=y`))));
    expect(noCookie.headers.get("Location")).toBe("/login?fb=failed");
  });

  it("a pending-signup cookie cannot be forged", async () => {
    const res = await call(() =>
      signupRoute.action(
        args(
          form("/signup", { intent: "facebook", email: `${uniq("f")}@example.test`, agencyName: "X" }, {
            header: () => "__spendlane_fb_pending=eyJmYWNlYm9va1VzZXJJZCI6IjEifQ%3D%3D",
          } as Jar),
        ),
      ),
    );
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/expired/);
  });
});
