import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALICE, boot, Ctx, expectGraphError, proof, V } from "./helpers";
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from "../../emulator/meta-graph/index";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(() => c.close());

const REDIRECT = "http://localhost:3000/auth/meta/callback";
const APP_TOKEN = `${DEFAULT_APP_ID}|${DEFAULT_APP_SECRET}`;

async function dialog(params: Record<string, string>) {
  const r = await fetch(`${c.url}/${V}/dialog/oauth?${new URLSearchParams({ client_id: DEFAULT_APP_ID, redirect_uri: REDIRECT, state: "st-123", ...params })}`);
  return { status: r.status, html: await r.text() };
}

async function decide(html: string, userId: string, decision: "approve" | "deny") {
  const reqId = /name="request_id" value="([^"]+)"/.exec(html)![1]!;
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
  const r = await fetch(`${c.url}${action}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request_id: reqId, user_id: userId, decision }).toString(),
  });
  expect(r.status).toBe(302);
  return new URL(r.headers.get("location")!);
}

async function exchange(params: Record<string, string>, init?: { method?: "GET" | "POST"; basic?: boolean }) {
  let r: Response;
  if (init?.method === "POST") {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    const p = { ...params };
    if (init.basic) {
      headers.authorization = `Basic ${Buffer.from(`${p.client_id}:${p.client_secret}`).toString("base64")}`;
      delete p.client_id;
      delete p.client_secret;
    }
    r = await fetch(`${c.url}/${V}/oauth/access_token`, { method: "POST", headers, body: new URLSearchParams(p).toString() });
  } else r = await fetch(`${c.url}/${V}/oauth/access_token?${new URLSearchParams(params)}`);
  return { status: r.status, headers: r.headers, body: await r.json() };
}

describe("OAuth dialog and code exchange", () => {
  it("full flow: dialog → approve → code → exchange → fb_exchange_token → debug_token → /me", async () => {
    const d = await dialog({ scope: "ads_read,ads_management", response_type: "code" });
    expect(d.status).toBe(200);
    expect(d.html).toContain("Alice Martin");
    expect(d.html).toContain(`data-testid="approve-${ALICE}"`);
    expect(d.html).toContain(`data-testid="deny-${ALICE}"`);
    const loc = await decide(d.html, ALICE, "approve");
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    expect(loc.searchParams.get("state")).toBe("st-123");
    const code = loc.searchParams.get("code")!;
    expect(code).toBeTruthy();

    const ex = await exchange({ client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code });
    expect(ex.status).toBe(200);
    expect(ex.body.token_type).toBe("bearer");
    expect(ex.body.access_token).toMatch(/^EAA/);
    expect(ex.body.expires_in).toBeGreaterThan(3000);
    expect(ex.body.expires_in).toBeLessThanOrEqual(3 * 3600);

    // single use
    const again = await exchange({ client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code });
    expectGraphError({ ...again }, 400, 100, 36009);
    expect(again.body.error.message).toBe("This authorization code has been used.");
    expect(again.headers.get("www-authenticate")).toBe('OAuth "Facebook Platform" "invalid_code" "This authorization code has been used."');

    const long = await exchange({
      grant_type: "fb_exchange_token",
      client_id: DEFAULT_APP_ID,
      client_secret: DEFAULT_APP_SECRET,
      fb_exchange_token: ex.body.access_token,
    });
    expect(long.status).toBe(200);
    expect(long.body.expires_in).toBe(5183944);
    expect(long.body.access_token).not.toBe(ex.body.access_token);

    const dbg = await fetch(`${c.url}/${V}/debug_token?${new URLSearchParams({ input_token: long.body.access_token, access_token: APP_TOKEN })}`).then((r) =>
      r.json(),
    );
    expect(dbg.data).toMatchObject({ app_id: DEFAULT_APP_ID, type: "USER", is_valid: true, user_id: ALICE, application: expect.any(String) });
    expect(dbg.data.scopes).toEqual(expect.arrayContaining(["ads_read", "ads_management", "public_profile"]));
    expect(dbg.data.expires_at - dbg.data.issued_at).toBe(5183944);
    expect(dbg.data.data_access_expires_at).toBeGreaterThan(dbg.data.issued_at);
    expect(dbg.data.granular_scopes.find((g: any) => g.scope === "ads_read").target_ids).toContain("101000000000001");

    const me = await c.get(`/${V}/me`, {}, { token: long.body.access_token });
    expect(me.body).toEqual({ id: ALICE, name: "Alice Martin" });
  });

  it("deny redirects with access_denied", async () => {
    const d = await dialog({ scope: "ads_read" });
    const loc = await decide(d.html, ALICE, "deny");
    expect(loc.searchParams.get("error")).toBe("access_denied");
    expect(loc.searchParams.get("error_reason")).toBe("user_denied");
    expect(loc.searchParams.get("error_description")).toBe("Permissions error");
    expect(loc.searchParams.get("state")).toBe("st-123");
    expect(loc.searchParams.get("code")).toBeNull();
    expect(loc.search).toContain("error_description=Permissions+error");
  });

  it("decide also works without the HTML page (plain params)", async () => {
    const r = await fetch(`${c.url}/${V}/dialog/oauth/decide`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: DEFAULT_APP_ID,
        redirect_uri: REDIRECT,
        state: "s2",
        scope: "ads_read",
        user_id: ALICE,
        decision: "approve",
      }).toString(),
    });
    expect(r.status).toBe(302);
    expect(new URL(r.headers.get("location")!).searchParams.get("code")).toBeTruthy();
  });

  it("redirect_uri must match exactly (36008); wrong secret → code 1; wrong app → 101", async () => {
    const loc = await decide((await dialog({ scope: "ads_read" })).html, ALICE, "approve");
    const code = loc.searchParams.get("code")!;
    const mism = await exchange({ client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT + "/", code });
    expectGraphError(mism, 400, 100, 36008);
    const sec = await exchange({ client_id: DEFAULT_APP_ID, client_secret: "nope", redirect_uri: REDIRECT, code });
    expectGraphError(sec, 400, 1);
    expect(sec.body.error).toMatchObject({ type: "OAuthException", message: "Error validating client secret." });
    expectGraphError(await exchange({ client_id: "42", client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code }), 400, 101);
    expectGraphError(await exchange({ client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code: "bogus" }), 400, 100, 36007);
    // the code was not consumed by the failed attempts: POST + HTTP Basic works
    const ok = await exchange(
      { client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code, grant_type: "authorization_code" },
      { method: "POST", basic: true },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.access_token).toMatch(/^EAA/);
  });

  it("config_id of a system-user configuration yields a never-expiring SYSTEM_USER token", async () => {
    const d = await dialog({ config_id: "900000000000001", response_type: "code", override_default_response_type: "true" });
    expect(d.html).toContain("SYSTEM_USER");
    const loc = await decide(d.html, ALICE, "approve");
    const ex = await exchange({ client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, redirect_uri: REDIRECT, code: loc.searchParams.get("code")! });
    expect(ex.status).toBe(200);
    expect(ex.body).not.toHaveProperty("expires_in");
    expect(ex.body.token_type).toBe("bearer");
    const dbg = await fetch(`${c.url}/${V}/debug_token?${new URLSearchParams({ input_token: ex.body.access_token, access_token: APP_TOKEN })}`).then((r) =>
      r.json(),
    );
    expect(dbg.data.type).toBe("SYSTEM_USER");
    expect(dbg.data.expires_at).toBe(0);
    expect(dbg.data.is_valid).toBe(true);
    const accts = await c.get(`/${V}/me/adaccounts`, {}, { token: ex.body.access_token });
    expect(accts.status).toBe(200);
    expect(accts.body.data.length).toBeGreaterThan(0);
  });

  it("dialog validates client_id and redirect_uri", async () => {
    expect((await dialog({ client_id: "123" })).status).toBe(400);
    const r = await fetch(`${c.url}/${V}/dialog/oauth?client_id=${DEFAULT_APP_ID}`);
    expect(r.status).toBe(400);
  });

  it("debug_token reports invalid tokens; requires a token", async () => {
    const t = await c.newToken();
    await c.ctl("/tokens/expire", { access_token: t });
    const dbg = await fetch(`${c.url}/${V}/debug_token?${new URLSearchParams({ input_token: t, access_token: APP_TOKEN })}`).then((r) => r.json());
    expect(dbg.data.is_valid).toBe(false);
    expect(dbg.data.error).toMatchObject({ code: 190, subcode: 463 });
    const unk = await fetch(`${c.url}/${V}/debug_token?${new URLSearchParams({ input_token: "EAAxyz", access_token: APP_TOKEN })}`).then((r) => r.json());
    expect(unk.data).toMatchObject({ is_valid: false, error: { code: 190 } });
    // a user token of the app may debug itself (with proof)
    const self = await c.get(`/${V}/debug_token`, { input_token: c.token });
    expect(self.body.data.user_id).toBe(ALICE);
    const none = await fetch(`${c.url}/${V}/debug_token?input_token=${c.token}`);
    expect(none.status).toBe(400);
  });

  it("client_credentials returns the app token", async () => {
    const r = await exchange({ grant_type: "client_credentials", client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET });
    expect(r.body.access_token).toBe(APP_TOKEN);
    expect(proof("x")).toMatch(/^[0-9a-f]{64}$/);
  });
});
