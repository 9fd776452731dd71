/**
 * Route loaders and actions called with real Requests and session cookies: guards, form parsing and
 * the status codes and messages people see.
 */
import { describe, it, expect } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { firstLink, listOutbox } from "../../app/.server/mail";
import * as team from "../../app/routes/a.$agency.team";
import * as settings from "../../app/routes/a.$agency.w.$workspace.settings";
import * as audit from "../../app/routes/a.$agency.audit";
import * as invite from "../../app/routes/invite.$token";
import * as account from "../../app/routes/account";
import * as forgot from "../../app/routes/forgot-password";
import * as reset from "../../app/routes/reset-password.$token";
import * as outbox from "../../app/routes/dev.outbox";
import * as clients from "../../app/routes/a.$agency.clients";
import { addMember, createAgencyFixture, createUser, TEST_PASSWORD, uniq } from "../helpers/factories";
import { requestAs, sessionCookieFor } from "../helpers/session";

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, unknown> }) => unknown;
interface Outcome {
  status: number;
  body: any;
  headers: Headers;
}

/** Runs a loader/action and normalises what it returned or threw (Response, data(), plain object). */
async function run(fn: Handler, request: Request, params: Record<string, string> = {}): Promise<Outcome> {
  let out: unknown;
  try {
    out = await fn({ request, params, context: {} });
  } catch (err) {
    if (!(err instanceof Response)) throw err;
    out = err;
  }
  if (out instanceof Response) {
    const text = await out.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text body
    }
    return { status: out.status, body, headers: out.headers };
  }
  const d = out as { type?: string; data?: unknown; init?: { status?: number; headers?: HeadersInit } };
  if (d && d.type === "DataWithResponseInit") return { status: d.init?.status ?? 200, body: d.data, headers: new Headers(d.init?.headers) };
  return { status: 200, body: out, headers: new Headers() };
}

async function post(userId: string | null, path: string, fields: Record<string, string>) {
  return requestAs(userId, path, { method: "POST", body: new URLSearchParams(fields) });
}

describe("team page", () => {
  it("owners invite; members get 403, viewers and outsiders 404; bad input is a 400", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    const params = { agency: f.agency.slug };
    const path = `/a/${f.agency.slug}/team`;
    const email = `${uniq("r")}@example.test`;

    const ok = await run(team.action as Handler, await post(f.owner.id, path, { intent: "invite", email, role: "admin" }), params);
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toMatch(/Invitation sent/);
    const [mail] = await listOutbox({ to: email, limit: 1 });
    expect(firstLink(mail.textBody)).toMatch(/^http:\/\/localhost\/invite\/[A-Za-z0-9_-]{43}$/);

    expect(
      (await run(team.action as Handler, await post(f.member.id, path, { intent: "invite", email: "m@example.test", role: "member" }), params)).status,
    ).toBe(403);
    expect(
      (await run(team.action as Handler, await post(f.viewer.id, path, { intent: "invite", email: "v@example.test", role: "member" }), params)).status,
    ).toBe(404);
    expect(
      (await run(team.action as Handler, await post(other.owner.id, path, { intent: "invite", email: "o@example.test", role: "member" }), params)).status,
    ).toBe(404);
    expect((await run(team.loader as Handler, await requestAs(f.viewer.id, path), params)).status).toBe(404);

    const bad = await run(team.action as Handler, await post(f.owner.id, path, { intent: "invite", email: "nope", role: "member" }), params);
    expect(bad.status).toBe(400);
    expect(bad.body.fields.email).toMatch(/valid email/);
    const unknownIntent = await run(team.action as Handler, await post(f.owner.id, path, { intent: "drop-tables" }), params);
    expect(unknownIntent.status).toBe(400);
    const selfRole = await run(team.action as Handler, await post(f.owner.id, path, { intent: "role", userId: f.owner.id, role: "member" }), params);
    expect(selfRole.status).toBe(403);
    expect(selfRole.body.error).toMatch(/your own role/);

    const memberView = await run(team.loader as Handler, await requestAs(f.member.id, path), params);
    expect(memberView.status).toBe(200);
    expect(memberView.body.manage).toBe(false);
    expect(memberView.body.invitations).toEqual([]);
    const ownerView = await run(team.loader as Handler, await requestAs(f.owner.id, path), params);
    expect(ownerView.body.invitations.map((i: { email: string }) => i.email)).toEqual([email]);
    expect(ownerView.body.seats).toMatchObject({ members: 3, pending: 1, used: 4 });
    expect(JSON.stringify(ownerView.body)).not.toMatch(/token/i);
  });

  it("a seat limit answers 402 with the billing prompt", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    const res = await run(
      team.action as Handler,
      await post(f.admin.id, `/a/${f.agency.slug}/team`, { intent: "invite", email: `${uniq("l")}@example.test`, role: "member" }),
      { agency: f.agency.slug },
    );
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ limit: "seats" });
    expect(res.body.error).toMatch(/Billing/);
  });
});

describe("invitation page", () => {
  it("a new person creates an account and lands in the workspace; the link then reads as used", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const email = `${uniq("c")}@example.test`;
    const params = { agency: f.agency.slug, workspace: f.workspaces[0].slug };
    const sent = await run(
      settings.action as Handler,
      await post(f.admin.id, `/a/${f.agency.slug}/w/${f.workspaces[0].slug}/settings`, { intent: "invite", email }),
      params,
    );
    expect(sent.status).toBe(200);
    const token = firstLink((await listOutbox({ to: email, limit: 1 }))[0].textBody)!
      .split("/")
      .pop()!;

    const page = await run(invite.loader as Handler, await requestAs(null, `/invite/${token}`), { token });
    expect(page.body).toMatchObject({ state: "create", role: "viewer", email, workspaceName: "Client 1" });

    const weak = await run(invite.action as Handler, await post(null, `/invite/${token}`, { name: "Cli", password: "short" }), { token });
    expect(weak.status).toBe(400);
    expect(weak.body.fields.password).toBeDefined();

    const done = await run(invite.action as Handler, await post(null, `/invite/${token}`, { name: "Client Person", password: "client-password-1" }), { token });
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe(`/a/${f.agency.slug}/w/${f.workspaces[0].slug}`);
    expect(done.headers.get("Set-Cookie")).toMatch(/__spendlane_session=/);

    const again = await run(invite.loader as Handler, await requestAs(null, `/invite/${token}`), { token });
    expect(again.body).toMatchObject({ state: "closed" });
    expect(again.body.message).toMatch(/already been used/);
    expect((await run(invite.loader as Handler, await requestAs(null, "/invite/garbage"), { token: "garbage" })).body.state).toBe("invalid");
  });

  it("signed in with another email: refused with a clear message and nothing granted", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const invitee = await createUser();
    const other = await createUser();
    await run(team.action as Handler, await post(f.owner.id, `/a/${f.agency.slug}/team`, { intent: "invite", email: invitee.email, role: "member" }), {
      agency: f.agency.slug,
    });
    const token = firstLink((await listOutbox({ to: invitee.email, limit: 1 }))[0].textBody)!
      .split("/")
      .pop()!;
    const page = await run(invite.loader as Handler, await requestAs(other.id, `/invite/${token}`), { token });
    expect(page.body.state).toBe("wrong-user");
    expect(page.body.message).toContain(invitee.email);
    const refused = await run(invite.action as Handler, await post(other.id, `/invite/${token}`, {}), { token });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/another email/);
    const none = await asService((tx) => tx`select 1 from public.agency_members where agency_id = ${f.agency.id} and user_id = ${other.id}`);
    expect(none).toHaveLength(0);

    const anon = await run(invite.loader as Handler, await requestAs(null, `/invite/${token}`), { token });
    expect(anon.body.state).toBe("login");
    const mine = await run(invite.loader as Handler, await requestAs(invitee.id, `/invite/${token}`), { token });
    expect(mine.body.state).toBe("accept");
    const accepted = await run(invite.action as Handler, await post(invitee.id, `/invite/${token}`, {}), { token });
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get("Location")).toBe(`/a/${f.agency.slug}`);
  });
});

describe("client settings page", () => {
  it("viewers get 404, members 403; only owners delete, with the typed name", async () => {
    const f = await createAgencyFixture({ workspaces: 2 });
    const ws = f.workspaces[0];
    const params = { agency: f.agency.slug, workspace: ws.slug };
    const path = `/a/${f.agency.slug}/w/${ws.slug}/settings`;
    expect((await run(settings.loader as Handler, await requestAs(f.viewer.id, path), params)).status).toBe(404);
    expect((await run(settings.loader as Handler, await requestAs(f.member.id, path), params)).status).toBe(403);
    const adminView = await run(settings.loader as Handler, await requestAs(f.admin.id, path), params);
    expect(adminView.body.viewers.map((v: { email: string }) => v.email)).toEqual([f.viewer.email]);
    expect(adminView.body.isOwner).toBe(false);

    expect((await run(settings.action as Handler, await post(f.admin.id, path, { intent: "delete", confirm: "Client 1" }), params)).status).toBe(403);
    const wrong = await run(settings.action as Handler, await post(f.owner.id, path, { intent: "delete", confirm: "Client" }), params);
    expect(wrong.status).toBe(400);
    expect(wrong.body.fields.confirm).toMatch(/Type Client 1/);
    const renamed = await run(settings.action as Handler, await post(f.admin.id, path, { intent: "rename", name: "Renamed" }), params);
    expect(renamed.body.ok).toMatch(/renamed/);
    const gone = await run(settings.action as Handler, await post(f.owner.id, path, { intent: "delete", confirm: "Renamed" }), params);
    expect(gone.status).toBe(302);
    expect(gone.headers.get("Location")).toBe(`/a/${f.agency.slug}/clients?deleted=${ws.slug}`);
    expect((await run(settings.loader as Handler, await requestAs(f.owner.id, path), params)).status).toBe(404);
  });
});

describe("audit page", () => {
  it("owners and admins read it; members 403; viewers 404", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const params = { agency: f.agency.slug };
    const path = `/a/${f.agency.slug}/audit`;
    await run(settings.action as Handler, await post(f.owner.id, `/a/${f.agency.slug}/w/${f.workspaces[0].slug}/settings`, { intent: "archive" }), {
      ...params,
      workspace: f.workspaces[0].slug,
    });
    const page = await run(audit.loader as Handler, await requestAs(f.admin.id, path), params);
    expect(page.body.entries[0]).toMatchObject({ action: "client.archive", actorEmail: f.owner.email });
    // a sentence naming the person and the client, not the code
    expect(page.body.entries[0].sentence).toMatch(/^.+ archived the client Client 1\.$/);
    expect((await run(audit.loader as Handler, await requestAs(f.member.id, path), params)).status).toBe(403);
    expect((await run(audit.loader as Handler, await requestAs(f.viewer.id, path), params)).status).toBe(404);
    expect((await run(audit.loader as Handler, await requestAs(null, path), params)).status).toBe(302);
  });
});

describe("account pages", () => {
  it("signs out other sessions and changes the password with the current one", async () => {
    const u = await createUser();
    const otherCookie = await sessionCookieFor(u.id);
    const cookie = await sessionCookieFor(u.id);
    const req = (fields: Record<string, string>) =>
      new Request("http://localhost/account", { method: "POST", body: new URLSearchParams(fields), headers: { Cookie: cookie } });
    const view = await run(account.loader as Handler, new Request("http://localhost/account", { headers: { Cookie: cookie } }));
    expect(view.body.sessions).toHaveLength(2);
    expect(view.body.sessions[0].current).toBe(true);
    expect(JSON.stringify(view.body)).not.toContain(otherCookie.split("=")[1].split(".")[0]);

    const wrong = await run(
      account.action as Handler,
      req({ intent: "password", currentPassword: "nope-nope-1", newPassword: "brand-new-pass-1", confirm: "brand-new-pass-1" }),
    );
    expect(wrong.status).toBe(400);
    const ok = await run(
      account.action as Handler,
      req({ intent: "password", currentPassword: TEST_PASSWORD, newPassword: "brand-new-pass-1", confirm: "brand-new-pass-1" }),
    );
    expect(ok.body.ok).toMatch(/1 other session signed out/);
    const after = await run(account.loader as Handler, new Request("http://localhost/account", { headers: { Cookie: otherCookie } }));
    expect(after.status).toBe(302); // the other browser is logged out
    expect((await run(account.action as Handler, req({ intent: "signout-others" }))).body.ok).toMatch(/0 other sessions/);
  });

  it("forgot-password answers the same for known and unknown emails; the reset link works once", async () => {
    const u = await createUser();
    const known = await run(forgot.action as Handler, await post(null, "/forgot-password", { email: u.email }));
    const unknown = await run(forgot.action as Handler, await post(null, "/forgot-password", { email: `${uniq("nobody")}@example.test` }));
    expect(known).toMatchObject({ status: 200 });
    expect(known.body).toEqual(unknown.body);
    const token = firstLink((await listOutbox({ to: u.email, limit: 1 }))[0].textBody)!
      .split("/")
      .pop()!;
    expect((await run(reset.loader as Handler, await requestAs(null, `/reset-password/${token}`), { token })).body.valid).toBe(true);
    const done = await run(
      reset.action as Handler,
      await post(null, `/reset-password/${token}`, { password: "reset-password-9", confirm: "reset-password-9" }),
      { token },
    );
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/login?reset=1");
    expect((await run(reset.loader as Handler, await requestAs(null, `/reset-password/${token}`), { token })).body.valid).toBe(false);
    const reuse = await run(
      reset.action as Handler,
      await post(null, `/reset-password/${token}`, { password: "reset-password-9", confirm: "reset-password-9" }),
      { token },
    );
    expect(reuse.status).toBe(400);
  });
});

describe("dev outbox", () => {
  // Review finding 4: demo mode was inferred from a missing META_APP_ID, so production without a Meta
  // app (even with DATABASE_URL) served every reset link here.
  it("lists mail in development and is a 404 in production outside demo mode, which is never inferred", async () => {
    const dev = await run(outbox.loader as Handler, await requestAs(null, "/dev/outbox"));
    expect(dev.status).toBe(200);
    expect(Array.isArray(dev.body.messages)).toBe(true);
    const saved = {
      NODE_ENV: process.env.NODE_ENV,
      SPENDLANE_DEMO: process.env.SPENDLANE_DEMO,
      META_APP_ID: process.env.META_APP_ID,
      APP_URL: process.env.APP_URL,
    };
    try {
      process.env.NODE_ENV = "production";
      process.env.APP_URL = "https://app.example.test";
      delete process.env.SPENDLANE_DEMO;
      // no Meta app configured: that alone no longer means "demo"
      delete process.env.META_APP_ID;
      resetEnvForTests();
      expect((await run(outbox.loader as Handler, await requestAs(null, "/dev/outbox"))).status).toBe(404);
      process.env.SPENDLANE_DEMO = "0";
      resetEnvForTests();
      expect((await run(outbox.loader as Handler, await requestAs(null, "/dev/outbox"))).status).toBe(404);
      process.env.SPENDLANE_DEMO = "1";
      resetEnvForTests();
      expect((await run(outbox.loader as Handler, await requestAs(null, "/dev/outbox"))).status).toBe(200);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvForTests();
    }
  });
});

describe("several agencies", () => {
  it("a user in A and B sees A's clients under /a/A and B's under /a/B, nothing mixed", async () => {
    const a = await createAgencyFixture({ workspaces: 2 });
    const b = await createAgencyFixture({ workspaces: 1 });
    await asService((tx) => tx`update public.workspaces set name = 'Only in B', slug = 'only-in-b' where id = ${b.workspaces[0].id}`);
    const both = await createUser();
    await addMember(a.agency.id, both.id, "member");
    await addMember(b.agency.id, both.id, "member");
    const inA = await run(clients.loader as Handler, await requestAs(both.id, `/a/${a.agency.slug}/clients`), { agency: a.agency.slug });
    const inB = await run(clients.loader as Handler, await requestAs(both.id, `/a/${b.agency.slug}/clients`), { agency: b.agency.slug });
    expect(inA.body.clients.map((c: { id: string }) => c.id).sort()).toEqual(a.workspaces.map((w) => w.id).sort());
    expect(inB.body.clients.map((c: { id: string }) => c.id)).toEqual([b.workspaces[0].id]);
    expect(inA.body.agency.slug).toBe(a.agency.slug);
    expect(inB.body.agency.slug).toBe(b.agency.slug);
    // and a settings URL of B's client under A's slug is a 404
    const cross = await run(settings.loader as Handler, await requestAs(a.owner.id, `/a/${a.agency.slug}/w/only-in-b/settings`), {
      agency: a.agency.slug,
      workspace: "only-in-b",
    });
    expect(cross.status).toBe(404);
  });
});
