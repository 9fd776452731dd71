/**
 * Connecting workspaces to Meta, end to end against the emulator over HTTP: the connections page's
 * action starts the dialog, the emulator's consent page decides, /meta/callback finishes, the token
 * lands encrypted in the vault, the picker lists the accounts, attach stores them and queues backfills.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { readSecret } from "../../app/.server/meta/vault";
import { attachAdAccount, disconnect } from "../../app/.server/connections/accounts";
import { attachAndBackfill } from "../../app/.server/connections/attach-and-sync";
import { connectionHealth } from "../../app/.server/connections/model";
import { listConnections } from "../../app/.server/connections/read";
import { markNeedsReauth } from "../../app/.server/meta/connection-client";
import { getConnectionToken } from "../../app/.server/meta/token-store";
import { MetaApiError } from "../../app/.server/meta/errors";
import { loader as connectionsLoader, action as connectionsAction } from "../../app/routes/a.$agency.w.$workspace.connections";
import { loader as callbackLoader } from "../../app/routes/meta.callback";
import { createAgencyFixture } from "../helpers/factories";
import { sessionCookieFor } from "../helpers/session";
import { bootEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, VERSION, type MetaEmulator, type EmulatorUser } from "../helpers/meta-support";

let meta: MetaEmulator;
let fbUser: EmulatorUser;
let otherFbUser: EmulatorUser;
const APP_URL = "http://app.test";

beforeAll(async () => {
  meta = await bootEmulator();
  Object.assign(process.env, {
    META_APP_ID: DEFAULT_APP_ID,
    META_APP_SECRET: DEFAULT_APP_SECRET,
    META_GRAPH_URL: meta.url,
    META_WEB_URL: meta.url,
    META_API_VERSION: VERSION,
    APP_URL,
  });
  delete process.env.META_LOGIN_CONFIG_ID;
  resetEnvForTests();
  const users = (await meta.users()).filter((u) => u.ad_accounts.length >= 2);
  [fbUser, otherFbUser] = users;
});
afterAll(async () => {
  const { stopWorker } = await import("../../app/.server/sync/scheduler");
  await stopWorker();
  await meta?.close();
});

const ctx = { nonce: "test-nonce", requestId: "test", clientIp: "127.0.0.1" };

type Fixture = Awaited<ReturnType<typeof createAgencyFixture>>;

function routeArgs(f: Fixture, ws = f.workspaces[0]) {
  return { agency: f.agency.slug, workspace: ws.slug };
}

async function call<T>(fn: () => Promise<T>): Promise<Response> {
  try {
    const r = await fn();
    if (r instanceof Response) return r;
    const d = r as unknown as { init?: { status?: number }; data?: unknown; type?: string };
    // Remix `data()` returns a DataWithResponseInit
    if (d && d.type === "DataWithResponseInit") return new Response(JSON.stringify(d.data), { status: d.init?.status ?? 200 });
    return new Response(JSON.stringify(r), { status: 200 });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

async function postConnections(cookie: string, f: Fixture, body: Record<string, string | string[]>, ws = f.workspaces[0]) {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
  const request = new Request(`http://localhost/a/${f.agency.slug}/w/${ws.slug}/connections`, {
    method: "POST",
    headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
    body: form,
  });
  return call(() => connectionsAction({ request, params: routeArgs(f, ws), context: ctx }));
}

async function getConnections(cookie: string, f: Fixture, query = "", ws = f.workspaces[0]) {
  const request = new Request(`http://localhost/a/${f.agency.slug}/w/${ws.slug}/connections${query}`, { headers: { Cookie: cookie } });
  return call(() => connectionsLoader({ request, params: routeArgs(f, ws), context: ctx }));
}

async function callback(cookie: string, url: string) {
  const u = new URL(url);
  const request = new Request(`http://localhost${u.pathname}${u.search}`, { headers: { Cookie: cookie } });
  return call(() => callbackLoader({ request, params: {}, context: ctx }));
}

/** Plays the person on Meta's consent page: approve as `userId` or deny. Returns our callback URL. */
async function consent(dialogUrl: string, userId: string, decision: "approve" | "deny"): Promise<string> {
  const page = await fetch(dialogUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const requestId = /data-request-id="([^"]+)"/.exec(html)?.[1];
  expect(requestId).toBeTruthy();
  const r = await fetch(`${meta.url}/${VERSION}/dialog/oauth/decide`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request_id: requestId!, user_id: userId, decision }),
  });
  expect(r.status).toBe(302);
  return r.headers.get("location")!;
}

async function startDialog(cookie: string, f: Fixture, extra: Record<string, string> = {}) {
  const res = await postConnections(cookie, f, { intent: "connect", ...extra });
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}

async function connectionRows(workspaceId: string) {
  return asService(
    (tx) => tx<
      { id: string; kind: string; status: string; facebook_user_id: string; token_secret_id: string | null; token_expires_at: Date | null; scopes: string[] }[]
    >`
    select id, kind, status, facebook_user_id, token_secret_id, token_expires_at, scopes from public.meta_connections where workspace_id = ${workspaceId} order by created_at`,
  );
}

async function auditActions(agencyId: string) {
  const rows = await asService(
    (tx) => tx<{ action: string; target: Record<string, unknown> }[]>`select action, target from public.audit_log where agency_id = ${agencyId} order by id`,
  );
  return rows;
}

describe("Connect Meta through OAuth", () => {
  it("dialog → consent → callback → encrypted token → picker → attach (with backfill queued)", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    const dialog = new URL(await startDialog(cookie, f));
    expect(dialog.origin + dialog.pathname).toBe(`${meta.url}/${VERSION}/dialog/oauth`);
    expect(dialog.searchParams.get("client_id")).toBe(DEFAULT_APP_ID);
    expect(dialog.searchParams.get("redirect_uri")).toBe(`${APP_URL}/meta/callback`);
    expect(dialog.searchParams.get("scope")).toBe("ads_read,business_management");
    expect(dialog.searchParams.get("state")!.length).toBeGreaterThanOrEqual(40);

    const back = await consent(dialog.toString(), fbUser.id, "approve");
    expect(back.startsWith(`${APP_URL}/meta/callback?`)).toBe(true);
    const done = await callback(cookie, back);
    expect(done.status).toBe(302);
    const landing = new URL(done.headers.get("location")!, "http://localhost");
    expect(landing.pathname).toBe(`/a/${f.agency.slug}/w/${f.workspaces[0].slug}/connections`);
    expect(landing.searchParams.get("connected")).toBe("1");

    const [conn] = await connectionRows(f.workspaces[0].id);
    expect(conn).toMatchObject({ kind: "oauth", status: "active", facebook_user_id: fbUser.id });
    expect(conn.scopes).toContain("ads_read");
    // long-lived: about 60 days, not the 2 hours of the code exchange
    expect(conn.token_expires_at!.getTime() - Date.now()).toBeGreaterThan(50 * 86400_000);
    const token = await asService((tx) => readSecret(tx, conn.token_secret_id!));
    expect(token).toMatch(/^EAA/);
    const [plain] = await asService(
      (tx) => tx`select count(*)::int as n from public.meta_connections where row_to_json(meta_connections)::text like ${"%" + token + "%"}`,
    );
    expect(plain.n).toBe(0);

    const page = await getConnections(cookie, f, landing.search);
    expect(page.status).toBe(200);
    const view = await page.json();
    expect(view.picker.connectionId).toBe(conn.id);
    expect(view.picker.accounts.map((a: { id: string }) => a.id).sort()).toEqual(fbUser.ad_accounts.map((a) => a.id).sort());
    expect(JSON.stringify(view)).not.toContain(token);

    const chosen = fbUser.ad_accounts.slice(0, 2);
    const attached = await postConnections(cookie, f, { intent: "attach", connectionId: conn.id, accounts: chosen.map((a) => a.id) });
    expect(attached.status).toBe(302);
    expect(attached.headers.get("location")).toContain("attached=2");
    const accounts = await asService(
      (tx) => tx<{ id: string; meta_account_id: string; currency: string; timezone_name: string; connection_id: string }[]>`
      select id, meta_account_id, currency, timezone_name, connection_id from public.ad_accounts where workspace_id = ${f.workspaces[0].id} order by meta_account_id`,
    );
    expect(accounts.map((a) => [a.meta_account_id, a.currency, a.timezone_name])).toEqual(
      [...chosen].sort((a, b) => a.id.localeCompare(b.id)).map((a) => [a.id, a.currency, a.timezone_name]),
    );
    const { pendingSync } = await import("../../app/.server/sync/scheduler");
    for (const a of accounts) expect(await pendingSync(a.id)).not.toBeNull();

    // attaching the same account twice is refused and changes nothing
    const again = await postConnections(cookie, f, { intent: "attach", connectionId: conn.id, accounts: [chosen[0].id] });
    expect(again.status).toBe(400);
    expect((await again.json()).error).toMatch(/already attached/);

    const actions = (await auditActions(f.agency.id)).map((a) => a.action);
    expect(actions.filter((a) => a === "meta.connect")).toHaveLength(1);
    expect(actions.filter((a) => a === "meta.attach")).toHaveLength(2);
    expect(JSON.stringify(await auditActions(f.agency.id))).not.toContain(token);
  });

  it("refuses a replayed callback, a state from another session and a forged state", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    const back = await consent(await startDialog(cookie, f), fbUser.id, "approve");

    // someone else's session (another user, or the same user in another browser) cannot finish it
    const adminCookie = await sessionCookieFor(f.admin.id);
    const otherSession = await sessionCookieFor(f.owner.id);
    for (const c of [adminCookie, otherSession]) {
      const r = await callback(c, back);
      expect(r.status).toBe(400);
      expect((await r.json()).message).toMatch(/invalid or has expired/);
    }
    const forged = new URL(back);
    forged.searchParams.set("state", "x".repeat(43));
    expect((await callback(cookie, forged.toString())).status).toBe(400);
    expect(await connectionRows(f.workspaces[0].id)).toHaveLength(0);

    // the rightful session finishes once; the replay finds nothing
    expect((await callback(cookie, back)).status).toBe(302);
    const replay = await callback(cookie, back);
    expect(replay.status).toBe(400);
    expect(await connectionRows(f.workspaces[0].id)).toHaveLength(1);
  });

  it("an expired attempt is refused", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    const back = await consent(await startDialog(cookie, f), fbUser.id, "approve");
    await asService((tx) => tx`update private.meta_oauth_states set expires_at = now() - interval '1 second' where workspace_id = ${f.workspaces[0].id}`);
    const r = await callback(cookie, back);
    expect(r.status).toBe(400);
    expect(await connectionRows(f.workspaces[0].id)).toHaveLength(0);
  });

  it("denied consent shows a friendly message and connects nothing", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    const back = await consent(await startDialog(cookie, f), fbUser.id, "deny");
    expect(new URL(back).searchParams.get("error")).toBe("access_denied");
    const r = await callback(cookie, back);
    expect(r.status).toBe(302);
    const to = r.headers.get("location")!;
    expect(to).toContain("denied=1");
    const page = await getConnections(cookie, f, new URL(to, "http://x").search);
    expect((await page.json()).notice.text).toMatch(/did not grant access/);
    expect(await connectionRows(f.workspaces[0].id)).toHaveLength(0);
  });

  it("uses config_id instead of scope with Facebook Login for Business", async () => {
    process.env.META_LOGIN_CONFIG_ID = "900000000000001";
    resetEnvForTests();
    try {
      const f = await createAgencyFixture({ workspaces: 1 });
      const cookie = await sessionCookieFor(f.owner.id);
      const dialog = new URL(await startDialog(cookie, f));
      expect(dialog.searchParams.get("config_id")).toBe("900000000000001");
      expect(dialog.searchParams.has("scope")).toBe(false);
      // this emulator configuration issues a system-user token: stored as such, never expiring
      const r = await callback(cookie, await consent(dialog.toString(), fbUser.id, "approve"));
      expect(r.status).toBe(302);
      const [conn] = await connectionRows(f.workspaces[0].id);
      expect(conn).toMatchObject({ kind: "system_user", status: "active", token_expires_at: null });
    } finally {
      delete process.env.META_LOGIN_CONFIG_ID;
      resetEnvForTests();
    }
  });

  it("only owners and admins manage connections; viewers and other agencies get 404", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    const memberCookie = await sessionCookieFor(f.member.id);
    expect((await postConnections(memberCookie, f, { intent: "connect" })).status).toBe(403);
    expect((await getConnections(memberCookie, f)).status).toBe(200);
    expect((await getConnections(await sessionCookieFor(f.viewer.id), f)).status).toBe(404);
    expect((await postConnections(await sessionCookieFor(f.viewer.id), f, { intent: "connect" })).status).toBe(404);
    const outsider = await sessionCookieFor(other.owner.id);
    expect((await getConnections(outsider, f)).status).toBe(404);
    expect((await postConnections(outsider, f, { intent: "connect" })).status).toBe(404);
    const adminRes = await postConnections(await sessionCookieFor(f.admin.id), f, { intent: "connect" });
    expect(adminRes.status).toBe(302);
    expect((await postConnections(await sessionCookieFor(f.owner.id), f, { intent: "nonsense" })).status).toBe(400);
  });
});

describe("System-user tokens", () => {
  it("a pasted system-user token connects; user tokens and junk are refused with clear errors", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    const before = await meta.callCount();
    const junk = await postConnections(cookie, f, { intent: "system_token", token: "not a token!" });
    expect(junk.status).toBe(400);
    expect(await meta.callCount()).toBe(before); // refused before asking Meta

    const userToken = await meta.token({ userId: fbUser.id });
    const notSystem = await postConnections(cookie, f, { intent: "system_token", token: userToken });
    expect(notSystem.status).toBe(400);
    const body = await notSystem.json();
    expect(body.error).toMatch(/not a Business Manager system-user token/);
    expect(JSON.stringify(body)).not.toContain(userToken);

    const revoked = await meta.token({ userId: fbUser.id, systemUser: true });
    await meta.ctl("/tokens/revoke", { access_token: revoked });
    expect((await postConnections(cookie, f, { intent: "system_token", token: revoked })).status).toBe(400);
    expect(await connectionRows(f.workspaces[0].id)).toHaveLength(0);

    const sys = await meta.token({ userId: fbUser.id, systemUser: true });
    const ok = await postConnections(cookie, f, { intent: "system_token", token: sys });
    expect(ok.status).toBe(302);
    const [conn] = await connectionRows(f.workspaces[0].id);
    expect(conn).toMatchObject({ kind: "system_user", status: "active", token_expires_at: null, facebook_user_id: fbUser.system_user_id });
    expect(await asService((tx) => readSecret(tx, conn.token_secret_id!))).toBe(sys);
  });
});

describe("Token health, re-authorisation and disconnect", () => {
  async function connected() {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    await callback(cookie, await consent(await startDialog(cookie, f), otherFbUser.id, "approve"));
    const [conn] = await connectionRows(f.workspaces[0].id);
    const acct = await asService((tx) =>
      attachAdAccount(tx, { workspaceId: f.workspaces[0].id, connectionId: conn.id, metaAccountId: otherFbUser.ad_accounts[0].id, actorUserId: f.owner.id }),
    );
    return { f, cookie, conn, acct, token: await asService((tx) => readSecret(tx, conn.token_secret_id!)) };
  }

  it("a read-only agency (billing on, subscription canceled) connects and attaches nothing, with the billing reason", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const cookie = await sessionCookieFor(f.owner.id);
    // connect while writable, then the subscription ends
    const sys = await meta.token({ userId: fbUser.id, systemUser: true });
    expect((await postConnections(cookie, f, { intent: "system_token", token: sys })).status).toBe(302);
    const [conn] = await connectionRows(f.workspaces[0].id);
    const saved = { key: process.env.STRIPE_SECRET_KEY, hook: process.env.STRIPE_WEBHOOK_SECRET };
    Object.assign(process.env, { STRIPE_SECRET_KEY: "sk_test_read_only", STRIPE_WEBHOOK_SECRET: "whsec_read_only" });
    resetEnvForTests();
    try {
      await asService((tx) => tx`update public.agencies set subscription_status = 'canceled' where id = ${f.agency.id}`);
      const attach = await postConnections(cookie, f, { intent: "attach", connectionId: conn.id, accounts: [fbUser.ad_accounts[0].id] });
      expect(attach.status).toBe(402);
      expect((await attach.json()).error).toMatch(/canceled/);
      const again = await postConnections(cookie, f, { intent: "system_token", token: await meta.token({ userId: fbUser.id, systemUser: true }) });
      expect(again.status).toBe(402);
      const connect = await postConnections(cookie, f, { intent: "connect" });
      expect(connect.status).toBe(402);
      const accounts = await asService((tx) => tx`select 1 from public.ad_accounts where workspace_id = ${f.workspaces[0].id}`);
      expect(accounts).toHaveLength(0);
      expect(await connectionRows(f.workspaces[0].id)).toHaveLength(1);
    } finally {
      for (const [k, v] of [
        ["STRIPE_SECRET_KEY", saved.key],
        ["STRIPE_WEBHOOK_SECRET", saved.hook],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      resetEnvForTests();
    }
  });

  it("a revoked token flips the connection and its accounts to needs_reauth; no further calls are made with it", async () => {
    const { f, cookie, conn, token } = await connected();
    await meta.ctl("/tokens/revoke", { access_token: token });
    const page = await (await getConnections(cookie, f, `?pick=${conn.id}`)).json();
    expect(page.picker.error).toMatch(/Reconnect/);
    const [after] = await connectionRows(f.workspaces[0].id);
    expect(after.status).toBe("needs_reauth");
    const accts = await asService((tx) => tx`select sync_status from public.ad_accounts where connection_id = ${conn.id}`);
    expect(accts.map((a) => a.sync_status)).toEqual(["needs_reauth"]);
    const view = (await listConnections(f.owner.id, f.workspaces[0].id))[0];
    expect(view.health).toBe("needs_reauth");
    expect((await auditActions(f.agency.id)).some((a) => a.action === "meta.needs_reauth")).toBe(true);

    const calls = await meta.callCount();
    await expect(asService((tx) => getConnectionToken(tx, conn.id))).rejects.toMatchObject({ kind: "token_invalid" });
    const again = await (await getConnections(cookie, f, `?pick=${conn.id}`)).json();
    expect(again.picker).toBeNull();
    await expect(
      asService((tx) => attachAdAccount(tx, { workspaceId: f.workspaces[0].id, connectionId: conn.id, metaAccountId: otherFbUser.ad_accounts[1].id })),
    ).rejects.toThrow(/Reconnect/);
    expect(await meta.callCount()).toBe(calls);
  });

  it("an expired token is caught the same way, and reconnecting replaces the secret and resumes", async () => {
    const { f, cookie, conn, token } = await connected();
    await meta.ctl("/tokens/expire", { access_token: token });
    await expect(attachAndBackfill({ workspaceId: f.workspaces[0].id, connectionId: conn.id, metaAccountId: otherFbUser.ad_accounts[1].id })).rejects.toThrow(
      /no longer accepts/,
    );
    let [row] = await connectionRows(f.workspaces[0].id);
    expect(row.status).toBe("needs_reauth");
    const oldSecret = row.token_secret_id!;

    const r = await postConnections(cookie, f, { intent: "reconnect", connectionId: conn.id });
    expect(r.status).toBe(302);
    // signing in as someone else does not hijack the connection
    const wrong = await callback(cookie, await consent(r.headers.get("location")!, fbUser.id, "approve"));
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).message).toMatch(/different person/);

    const r2 = await postConnections(cookie, f, { intent: "reconnect", connectionId: conn.id });
    const done = await callback(cookie, await consent(r2.headers.get("location")!, otherFbUser.id, "approve"));
    expect(done.headers.get("location")).toContain("reconnected=1");
    const rows = await connectionRows(f.workspaces[0].id);
    expect(rows).toHaveLength(1);
    [row] = rows;
    expect(row).toMatchObject({ id: conn.id, status: "active" });
    expect(row.token_secret_id).not.toBe(oldSecret);
    await expect(asService((tx) => readSecret(tx, oldSecret))).rejects.toThrow(/not found/);
    const accts = await asService((tx) => tx`select sync_status from public.ad_accounts where connection_id = ${conn.id}`);
    expect(accts.map((a) => a.sync_status)).toEqual(["pending"]);
    expect(await asService((tx) => getConnectionToken(tx, conn.id))).toMatch(/^EAA/);
  });

  it("markNeedsReauth is idempotent and health warns 7 days before expiry", async () => {
    const { f, conn } = await connected();
    await asService((tx) => markNeedsReauth(tx, conn.id, "Error validating access token"));
    await asService((tx) => markNeedsReauth(tx, conn.id, "again"));
    expect((await auditActions(f.agency.id)).filter((a) => a.action === "meta.needs_reauth")).toHaveLength(1);
    const now = new Date("2026-01-01T00:00:00Z");
    const days = (n: number) => new Date(now.getTime() + n * 86400_000);
    expect(connectionHealth({ status: "active", token_expires_at: days(8) }, now).health).toBe("ok");
    expect(connectionHealth({ status: "active", token_expires_at: days(6) }, now)).toEqual({
      health: "needs_reauth",
      reason: "The Meta token expires within 7 days",
    });
    expect(connectionHealth({ status: "active", token_expires_at: days(-1) }, now).reason).toMatch(/expired/);
    expect(connectionHealth({ status: "active", token_expires_at: null }, now).health).toBe("ok");
    expect(connectionHealth({ status: "disconnected", token_expires_at: null }, now).health).toBe("disconnected");
  });

  it("disconnect deletes our token and keeps the numbers unless asked to delete them", async () => {
    const a = await connected();
    const cookie = a.cookie;
    const r = await postConnections(cookie, a.f, { intent: "disconnect", connectionId: a.conn.id });
    expect(r.status).toBe(302);
    const [row] = await connectionRows(a.f.workspaces[0].id);
    expect(row).toMatchObject({ status: "disconnected", token_secret_id: null });
    await expect(asService((tx) => readSecret(tx, a.conn.token_secret_id!))).rejects.toThrow(/not found/);
    const kept = await asService((tx) => tx`select sync_status from public.ad_accounts where workspace_id = ${a.f.workspaces[0].id}`);
    expect(kept.map((k) => k.sync_status)).toEqual(["paused"]);
    await expect(asService((tx) => getConnectionToken(tx, a.conn.id))).rejects.toBeInstanceOf(MetaApiError);

    const b = await connected();
    await asService((tx) => disconnect(tx, { workspaceId: b.f.workspaces[0].id, connectionId: b.conn.id, deleteData: true, actorUserId: b.f.owner.id }));
    const gone = await asService((tx) => tx`select 1 from public.ad_accounts where workspace_id = ${b.f.workspaces[0].id}`);
    expect(gone).toHaveLength(0);
    const audit = await auditActions(b.f.agency.id);
    expect(audit.find((x) => x.action === "meta.disconnect")?.target).toMatchObject({ deleteData: true, deletedAccounts: 1 });
    // another workspace's connection id is a 404, not a disconnect
    const res = await postConnections(await sessionCookieFor(a.f.owner.id), a.f, { intent: "disconnect", connectionId: b.conn.id });
    expect(res.status).toBe(404);
  });
});
