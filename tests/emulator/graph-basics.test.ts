import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_EU, ACT_JP, ACT_US, ALICE, BRUNO, boot, Ctx, expectGraphError, proof, V, walk } from "./helpers";
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET, startEmulator } from "../../emulator/meta-graph/index";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(() => c.close());

describe("startup and versions", () => {
  it("starts and exports defaults", async () => {
    const e = await startEmulator();
    await e.close();
    expect(e.port).toBeGreaterThan(0);
    expect(DEFAULT_APP_ID).toBe("1000000000000001");
    expect(DEFAULT_APP_SECRET).toBe("emulator-app-secret");
  });

  it("answers the live Marketing versions and rejects unversioned Marketing paths", async () => {
    expect((await c.get(`/v26.0/${ACT_US}`)).status).toBe(200);
    expect((await c.get(`/v27.0/${ACT_US}`)).status).toBe(200);
    expectGraphError(await c.get(`/${ACT_US}/campaigns`), 400, 2635);
    // plain Graph calls may be unversioned
    expect((await c.get(`/me`)).body.id).toBe(ALICE);
  });

  it("rejects the bare numeric ad account id and unknown objects with 100/33", async () => {
    expectGraphError(await c.get(`/${V}/101000000000001`), 400, 100, 33);
    expectGraphError(await c.get(`/${V}/act_999`), 400, 100, 33);
    expectGraphError(await c.get(`/${V}/${ACT_US}/nonsense`), 400, 2500);
  });
});

describe("auth", () => {
  it("requires a token (104) and rejects garbage (190)", async () => {
    expectGraphError(await c.get(`/${V}/me`, {}, { token: null }), 400, 104);
    const r = await c.get(`/${V}/me`, {}, { token: "EAAnotatoken" });
    expectGraphError(r, 400, 190);
    expect(r.headers.get("www-authenticate")).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
  });

  it("enforces appsecret_proof (missing / wrong)", async () => {
    const m = await c.get(`/${V}/me`, {}, { proof: false });
    expectGraphError(m, 400, 100);
    expect(m.body.error.message).toBe("API calls from the server require an appsecret_proof argument");
    const w = await c.get(`/${V}/me`, { appsecret_proof: "00".repeat(32) }, { proof: false });
    expect(w.body.error.message).toBe("Invalid appsecret_proof provided in the API argument");
  });

  it("accepts Authorization: OAuth and Bearer headers", async () => {
    for (const scheme of ["OAuth", "Bearer"]) {
      const r = await fetch(`${c.url}/${V}/me?appsecret_proof=${proof(c.token)}`, { headers: { authorization: `${scheme} ${c.token}` } });
      expect(r.status).toBe(200);
      expect((await r.json()).id).toBe(ALICE);
    }
  });

  it("tokens are opaque EAA strings not derived from the user id", async () => {
    const t1 = await c.newToken({ userId: ALICE });
    const t2 = await c.newToken({ userId: ALICE });
    expect(t1).toMatch(/^EAA[A-Za-z0-9]{40,}$/);
    expect(t1).not.toBe(t2);
    expect(t1).not.toContain(ALICE);
  });

  it("expired tokens get 190/463, revoked ones 190/460, with WWW-Authenticate", async () => {
    const t = await c.newToken();
    expect((await c.get(`/${V}/me`, {}, { token: t })).status).toBe(200);
    await c.ctl("/tokens/expire", { access_token: t });
    const r = await c.get(`/${V}/me`, {}, { token: t });
    expectGraphError(r, 400, 190, 463);
    expect(r.body.error.message).toMatch(
      /^Error validating access token: Session has expired on \w+day, \d\d-\w{3}-\d\d \d\d:\d\d:\d\d P[SD]T\. The current time is/,
    );
    expect(r.headers.get("www-authenticate")).toContain("invalid_token");
    const t2 = await c.newToken();
    await c.ctl("/tokens/revoke", { access_token: t2 });
    expectGraphError(await c.get(`/${V}/me`, {}, { token: t2 }), 400, 190, 460);
  });

  it("token lifetime follows the emulator clock", async () => {
    const t = await c.newToken({ expiresInSeconds: 3600 });
    expect((await c.get(`/${V}/me`, {}, { token: t })).status).toBe(200);
    const before = (await c.ctl("/clock")).now;
    await c.ctl("/clock", { advanceSeconds: 3601 });
    expectGraphError(await c.get(`/${V}/me`, {}, { token: t }), 400, 190, 463);
    await c.ctl("/clock", { now: before });
  });

  it("a user only sees their own ad accounts", async () => {
    const bt = await c.newToken({ userId: BRUNO });
    const r = await c.get(`/${V}/me/adaccounts`, { limit: "100" }, { token: bt });
    const ids = r.body.data.map((a: any) => a.id);
    expect(ids).toContain(ACT_US);
    expect(ids).not.toContain(ACT_EU);
    expectGraphError(await c.get(`/${V}/${ACT_EU}`, {}, { token: bt }), 400, 100, 33);
  });
});

describe("objects", () => {
  it("/me returns id and name; fields selects; unknown fields error", async () => {
    const r = await c.get(`/${V}/me`);
    expect(r.body).toEqual({ id: ALICE, name: "Alice Martin" });
    expect((await c.get(`/${V}/me`, { fields: "id,email" })).body).toEqual({ id: ALICE, email: "alice@example.test" });
    const bad = await c.get(`/${V}/me`, { fields: "id,shoe_size" });
    expectGraphError(bad, 400, 100);
    expect(bad.body.error.message).toContain("Tried accessing nonexisting field (shoe_size)");
  });

  it("/me/adaccounts default fields are id + account_id; fields list as comma list or JSON array", async () => {
    const d = await c.get(`/${V}/me/adaccounts`);
    expect(Object.keys(d.body.data[0]).sort()).toEqual(["account_id", "id"]);
    const fields = "id,account_id,name,currency,timezone_name,timezone_offset_hours_utc,account_status,disable_reason,amount_spent,spend_cap,business";
    const a = await c.get(`/${V}/me/adaccounts`, { fields, limit: "100" });
    const b = await c.get(`/${V}/me/adaccounts`, { fields: JSON.stringify(fields.split(",")), limit: "100" });
    expect(a.body.data).toEqual(b.body.data);
    const byId = Object.fromEntries(a.body.data.map((x: any) => [x.id, x]));
    expect(byId[ACT_US]).toMatchObject({
      account_id: "101000000000001",
      currency: "USD",
      timezone_name: "America/Los_Angeles",
      timezone_offset_hours_utc: -8,
      account_status: 1,
    });
    expect(byId[ACT_EU]).toMatchObject({ currency: "EUR", timezone_name: "Europe/Berlin", timezone_offset_hours_utc: 1 });
    expect(byId[ACT_JP]).toMatchObject({ currency: "JPY", timezone_name: "Asia/Tokyo", timezone_offset_hours_utc: 9 });
    expect(new Set(a.body.data.map((x: any) => x.currency))).toEqual(new Set(["USD", "EUR", "JPY", "GBP"]));
    expect(new Set(a.body.data.map((x: any) => x.account_status))).toEqual(new Set([1, 2, 3, 101]));
    expect(byId[ACT_US].amount_spent).toMatch(/^\d+$/);
    expect(byId[ACT_US].business).toEqual({ id: "200000000000001", name: "Northwind Holdings" });
  });

  it("/me/businesses lists the user's businesses", async () => {
    const r = await c.get(`/${V}/me/businesses`);
    expect(r.body.data.map((b: any) => b.name).sort()).toEqual(["Hudson Partners", "Northwind Holdings", "Sakura Group"]);
  });

  it("paging: cursors, full next URL, absent next on the last page, previous link", async () => {
    const first = await c.get(`/${V}/me/adaccounts`, { limit: "3", fields: "id" });
    expect(first.body.data).toHaveLength(3);
    expect(first.body.paging.cursors.before).toBeTypeOf("string");
    expect(first.body.paging.cursors.after).toBeTypeOf("string");
    expect(first.body.paging.next).toMatch(new RegExp(`^${c.url}/${V}/me/adaccounts\\?.*after=`));
    expect(first.body.paging.previous).toBeUndefined();
    const { rows, pages } = await walk(first);
    expect(rows).toHaveLength(8);
    expect(pages).toBe(3);
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
    const second = await c.get(`/${V}/me/adaccounts`, { limit: "3", fields: "id", after: first.body.paging.cursors.after });
    expect(second.body.data[0].id).toBe(rows[3].id);
    expect(second.body.paging.previous).toContain("before=");
    const back = await c.get(`/${V}/me/adaccounts`, { limit: "3", fields: "id", before: second.body.paging.cursors.before });
    expect(back.body.data.map((x: any) => x.id)).toEqual(rows.slice(0, 3).map((x) => x.id));
    expectGraphError(await c.get(`/${V}/me/adaccounts`, { after: "!!garbage" }), 400, 100);
  });

  it("campaigns: default hides ARCHIVED/DELETED; effective_status and filtering reveal them; summary=total_count", async () => {
    const world = await c.ctl("/world");
    const jp = world.accounts.find((a: any) => a.id === ACT_JP);
    const all = jp.campaigns;
    const visible = all.filter((x: any) => x.status === "ACTIVE" || x.status === "PAUSED");
    expect(all.length).toBe(60);
    expect(all.some((x: any) => x.status === "ARCHIVED")).toBe(true);
    expect(all.some((x: any) => x.status === "DELETED")).toBe(true);
    const def = await c.get(`/${V}/${ACT_JP}/campaigns`, { fields: "id,name,status,effective_status", limit: "100", summary: "total_count" });
    expect(def.body.data.map((x: any) => x.id)).toEqual(visible.map((x: any) => x.id));
    expect(def.body.summary).toEqual({ total_count: visible.length });
    const withAll = await c.get(`/${V}/${ACT_JP}/campaigns`, {
      fields: "id",
      limit: "100",
      effective_status: JSON.stringify(["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"]),
    });
    expect(withAll.body.data).toHaveLength(60);
    const onlyDeleted = await c.get(`/${V}/${ACT_JP}/campaigns`, {
      fields: "id,effective_status",
      limit: "100",
      filtering: JSON.stringify([{ field: "effective_status", operator: "IN", value: ["DELETED"] }]),
    });
    expect(onlyDeleted.body.data.length).toBe(all.filter((x: any) => x.status === "DELETED").length);
    expect(onlyDeleted.body.data.every((x: any) => x.effective_status === "DELETED")).toBe(true);
    const d = await c.get(`/${V}/${ACT_JP}/campaigns`);
    expect(Object.keys(d.body.data[0])).toEqual(["id"]);
    expect(d.body.data).toHaveLength(25); // default page size
    expect(d.body.paging.next).toBeTruthy();
  });

  it("campaign object: offset-unit budgets and Meta datetimes", async () => {
    const list = await c.get(`/${V}/${ACT_US}/campaigns`, { fields: "id", limit: "1" });
    const id = list.body.data[0].id;
    const r = await c.get(`/${V}/${id}`, { fields: "id,account_id,name,objective,status,effective_status,daily_budget,start_time,created_time,updated_time" });
    expect(r.body.account_id).toBe("101000000000001");
    expect(r.body.daily_budget).toMatch(/^\d+$/);
    expect(r.body.start_time).toMatch(/^\d{4}-\d\d-\d\dT00:00:00-0[78]00$/);
    expect(r.body.created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d{4}$/);
    expect(["OUTCOME_SALES", "OUTCOME_LEADS", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS"]).toContain(r.body.objective);
    const jp = await c.get(`/${V}/${ACT_JP}/campaigns`, { fields: "daily_budget", limit: "5" });
    // JPY has offset 1: yen budgets are large integers
    expect(Number(jp.body.data[0].daily_budget)).toBeGreaterThan(1000);
  });

  it("POST bodies: form-urlencoded and JSON both work (here: async insights creation)", async () => {
    const a = await c.post(`/${V}/${ACT_US}/insights`, { fields: "spend", date_preset: "last_7d" });
    const b = await c.post(`/${V}/${ACT_US}/insights`, { fields: "spend", date_preset: "last_7d" }, { json: true });
    expect(a.body.report_run_id).toMatch(/^\d+$/);
    expect(b.body.report_run_id).toMatch(/^\d+$/);
  });

  it("multi-id read ?ids=", async () => {
    const r = await c.get(`/${V}/`, { ids: `${ACT_US},${ACT_EU}`, fields: "id,currency" });
    expect(r.body[ACT_US].currency).toBe("USD");
    expect(r.body[ACT_EU].currency).toBe("EUR");
  });
});

describe("control API", () => {
  it("lists seeded users with their accounts; world sizing via reset", async () => {
    const u = await c.ctl("/users");
    expect(u.users.map((x: any) => x.id)).toEqual(["100000000000001", "100000000000002", "100000000000003", "100000000000004"]);
    expect(u.users[0].ad_accounts).toHaveLength(8);
    const e = await boot({ world: { accounts: 5, campaignsPerAccount: 50 } });
    try {
      const accts = await e.get(`/${V}/me/adaccounts`, { limit: "100" });
      expect(accts.body.data).toHaveLength(5);
      const camps = await e.get(`/${V}/${accts.body.data[4].id}/campaigns`, { limit: "100", effective_status: '["ACTIVE","PAUSED","ARCHIVED","DELETED"]' });
      expect(camps.body.data).toHaveLength(50);
      await e.ctl("/reset", { seed: "x", world: { accounts: 2, campaignsPerAccount: 3 } });
      const t = await e.newToken();
      const again = await e.get(`/${V}/me/adaccounts`, { limit: "100" }, { token: t });
      expect(again.body.data).toHaveLength(2);
    } finally {
      await e.close();
    }
  });

  it("clock can be set and read", async () => {
    const prev = (await c.ctl("/clock")).now;
    const r = await c.ctl("/clock", { now: "2026-01-02T03:04:05Z" });
    expect(r).toEqual({ now: "2026-01-02T03:04:05.000Z", frozen: true });
    await c.ctl("/clock", { now: prev });
  });

  it("signed-request is HMAC-SHA256 of the payload segment with the app secret", async () => {
    const { createHmac } = await import("node:crypto");
    for (const kind of ["deauthorize", "data_deletion"]) {
      const r = await c.ctl("/signed-request", { user_id: "12345", kind });
      const [sig, payload] = r.signed_request.split(".");
      expect(createHmac("sha256", DEFAULT_APP_SECRET).update(payload).digest("base64url")).toBe(sig);
      const decoded = JSON.parse(Buffer.from(payload, "base64url").toString());
      expect(decoded).toMatchObject({ algorithm: "HMAC-SHA256", user_id: "12345" });
      expect(typeof decoded.issued_at).toBe("number");
      if (kind === "data_deletion") expect(decoded.expires).toBeGreaterThan(decoded.issued_at);
    }
  });

  it("counts calls per endpoint kind and account", async () => {
    await c.ctl("/calls/reset", {});
    await c.get(`/${V}/${ACT_US}/campaigns`);
    await c.get(`/${V}/${ACT_US}/insights`);
    await c.get(`/${V}/me`);
    const calls = await c.ctl("/calls");
    expect(calls.byKind).toEqual({ campaigns: 1, insights: 1, me: 1 });
    expect(calls.byAccount).toEqual({ [ACT_US]: 2 });
    expect(calls.total).toBe(3);
  });
});

describe("configurable UNCONFIRMED behaviours and system users", () => {
  it("system-user tokens from the control API never expire and see the user's accounts", async () => {
    const r = await c.ctl("/tokens", { systemUser: true });
    expect(r.type).toBe("SYSTEM_USER");
    expect(r.expires_at).toBe(0);
    expect(r.user_id).toMatch(/^6155/);
    const me = await c.get(`/${V}/me`, {}, { token: r.access_token });
    expect(me.body.id).toBe(r.user_id);
    expect((await c.get(`/${V}/me/adaccounts`, { limit: "100" }, { token: r.access_token })).body.data).toHaveLength(8);
  });

  it("acceptBareAccountId and omitZeroRows can be switched", async () => {
    const e = await boot({ acceptBareAccountId: true, omitZeroRows: false });
    try {
      expect((await e.get(`/${V}/101000000000001`, { fields: "id" })).body.id).toBe(ACT_US);
      // a range before any delivery: with omitZeroRows=false a zero row comes back
      const r = await e.get(`/${V}/${ACT_US}/insights`, { time_range: JSON.stringify({ since: "2026-11-21", until: "2026-11-22" }) });
      expect(r.body.data).toEqual([{ impressions: "0", spend: "0", date_start: "2026-11-21", date_stop: "2026-11-22" }]);
    } finally {
      await e.close();
    }
  });
});
