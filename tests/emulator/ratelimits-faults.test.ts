import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_EU, ACT_US, boot, Ctx, expectGraphError, V } from "./helpers";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(() => c.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hdr = (r: { headers: Headers }, name: string) => {
  const v = r.headers.get(name);
  return v == null ? null : JSON.parse(v);
};
async function limits(body: Record<string, unknown>) {
  return c.ctl("/limits", { ...body, resetCounters: true });
}
const DEFAULTS = {
  accountScore: { max: 300, windowSeconds: 300, blockSeconds: 60 },
  buc: { ads_insights: 2000, ads_management: 2000, windowSeconds: 3600, blockSeconds: 60 },
  app: { maxCalls: 20000, windowSeconds: 3600, blockSeconds: 60 },
  burst: { perSecond: 100, blockSeconds: 1 },
};

describe("rate-limit headers", () => {
  it("insights responses carry all four headers as JSON text; other calls carry the relevant ones", async () => {
    await limits(DEFAULTS);
    const ins = await c.get(`/${V}/${ACT_US}/insights`);
    const acc = hdr(ins, "x-ad-account-usage");
    expect(acc).toMatchObject({ acc_id_util_pct: expect.any(Number), reset_time_duration: expect.any(Number), ads_api_access_tier: "development_access" });
    const app = hdr(ins, "x-app-usage");
    expect(app).toEqual({ call_count: expect.any(Number), total_time: expect.any(Number), total_cputime: expect.any(Number) });
    const buc = hdr(ins, "x-business-use-case-usage");
    expect(Object.keys(buc)).toEqual(["200000000000001"]); // keyed by the account's business
    expect(buc["200000000000001"][0]).toMatchObject({
      type: "ads_insights",
      call_count: expect.any(Number),
      total_cputime: expect.any(Number),
      total_time: expect.any(Number),
      estimated_time_to_regain_access: 0,
    });
    expect(hdr(ins, "x-fb-ads-insights-throttle")).toMatchObject({ app_id_util_pct: expect.any(Number), acc_id_util_pct: expect.any(Number) });
    const camps = await c.get(`/${V}/${ACT_US}/campaigns`);
    expect(hdr(camps, "x-fb-ads-insights-throttle")).toBeNull();
    expect(hdr(camps, "x-business-use-case-usage")["200000000000001"].map((e: any) => e.type)).toContain("ads_management");
    const me = await c.get(`/${V}/me`);
    expect(hdr(me, "x-app-usage")).not.toBeNull();
    expect(hdr(me, "x-ad-account-usage")).toBeNull();
  });

  it("utilisation rises with calls", async () => {
    await limits({ accountScore: { max: 10, windowSeconds: 60, blockSeconds: 1 } });
    const a = hdr(await c.get(`/${V}/${ACT_US}`), "x-ad-account-usage").acc_id_util_pct;
    const b = hdr(await c.get(`/${V}/${ACT_US}`), "x-ad-account-usage").acc_id_util_pct;
    expect(a).toBe(10);
    expect(b).toBe(20);
    const w = hdr(await c.post(`/${V}/${ACT_US}/insights`, { date_preset: "yesterday" }), "x-ad-account-usage").acc_id_util_pct;
    expect(w).toBe(50); // a write costs 3 points
  });
});

describe("rate-limit enforcement", () => {
  it("per-account score → 17/2446079, blocks, other accounts unaffected, recovers after the window", async () => {
    await limits({ ...DEFAULTS, accountScore: { max: 4, windowSeconds: 2, blockSeconds: 1 } });
    for (let i = 0; i < 4; i++) expect((await c.get(`/${V}/${ACT_US}`)).status).toBe(200);
    const r = await c.get(`/${V}/${ACT_US}`);
    expectGraphError(r, 400, 17, 2446079);
    expect(r.body.error.message).toBe("(#17) User request limit reached");
    expect(hdr(r, "x-ad-account-usage").acc_id_util_pct).toBe(100);
    expect(hdr(r, "x-business-use-case-usage")["200000000000001"][0].estimated_time_to_regain_access).toBeGreaterThanOrEqual(1);
    expect((await c.get(`/${V}/${ACT_EU}`)).status).toBe(200);
    expectGraphError(await c.get(`/${V}/${ACT_US}/campaigns`), 400, 17, 2446079); // still blocked
    await sleep(2100);
    expect((await c.get(`/${V}/${ACT_US}`)).status).toBe(200);
  });

  it("BUC ads_insights → 80000, ads_management → 80004", async () => {
    await limits({ ...DEFAULTS, buc: { ads_insights: 3, ads_management: 2, windowSeconds: 60, blockSeconds: 1 } });
    for (let i = 0; i < 3; i++) expect((await c.get(`/${V}/${ACT_US}/insights`)).status).toBe(200);
    const r = await c.get(`/${V}/${ACT_US}/insights`);
    expectGraphError(r, 400, 80000, 2446079);
    const entry = hdr(r, "x-business-use-case-usage")["200000000000001"].find((e: any) => e.type === "ads_insights");
    expect(entry.call_count).toBe(100);
    expect(entry.estimated_time_to_regain_access).toBeGreaterThanOrEqual(1);
    expect(hdr(r, "x-fb-ads-insights-throttle").acc_id_util_pct).toBe(100);
    for (let i = 0; i < 2; i++) expect((await c.get(`/${V}/${ACT_US}/campaigns`)).status).toBe(200);
    expectGraphError(await c.get(`/${V}/${ACT_US}/campaigns`), 400, 80004, 2446079);
    expect((await c.get(`/${V}/${ACT_EU}/campaigns`)).status).toBe(200);
  });

  it("per-app budget → code 4 everywhere", async () => {
    await limits({ ...DEFAULTS, app: { maxCalls: 3, windowSeconds: 60, blockSeconds: 1 } });
    for (let i = 0; i < 3; i++) expect((await c.get(`/${V}/me`)).status).toBe(200);
    const r = await c.get(`/${V}/${ACT_EU}`);
    expectGraphError(r, 400, 4);
    expect(r.body.error.is_transient).toBe(true);
    expect(hdr(r, "x-app-usage").call_count).toBe(100);
  });

  it("burst → 613", async () => {
    await limits({ ...DEFAULTS, burst: { perSecond: 3, blockSeconds: 1 } });
    for (let i = 0; i < 3; i++) expect((await c.get(`/${V}/${ACT_US}`)).status).toBe(200);
    expectGraphError(await c.get(`/${V}/${ACT_US}`), 400, 613, 1487742);
  });

  it("batch items count individually", async () => {
    await limits({ ...DEFAULTS, accountScore: { max: 3, windowSeconds: 60, blockSeconds: 60 } });
    const r = await c.post("/", { batch: JSON.stringify(Array.from({ length: 5 }, () => ({ method: "GET", relative_url: `${V}/${ACT_US}` }))) });
    expect(r.body.map((x: any) => x.code)).toEqual([200, 200, 200, 400, 400]);
    expect(JSON.parse(r.body[3].body).error.code).toBe(17);
    await limits(DEFAULTS);
  });
});

describe("faults", () => {
  const cases: Array<[string, number, number | null, number | undefined]> = [
    ["code1", 500, 1, 99],
    ["code2", 503, 2, undefined],
    ["code4", 400, 4, undefined],
    ["code17", 400, 17, 2446079],
    ["code80000", 400, 80000, 2446079],
    ["code80004", 400, 80004, 2446079],
    ["code613", 400, 613, 1487742],
    ["code190", 400, 190, 458],
  ];
  for (const [kind, status, code, sub] of cases) {
    it(`${kind} → HTTP ${status} code ${code}`, async () => {
      await limits(DEFAULTS);
      await c.ctl("/faults", { kind, count: 2 });
      const a = await c.get(`/${V}/${ACT_US}/insights`);
      const b = await c.get(`/${V}/${ACT_US}/insights`);
      for (const r of [a, b]) expectGraphError(r, status, code!, sub);
      if (kind === "code2") expect(a.body.error.is_transient).toBe(true);
      if (kind.startsWith("code800"))
        expect(Object.values(hdr(a, "x-business-use-case-usage") as object)[0][0].estimated_time_to_regain_access).toBeGreaterThanOrEqual(1);
      expect((await c.get(`/${V}/${ACT_US}/insights`)).status).toBe(200);
    });
  }

  it("http500 returns a non-JSON 500; account filter; endpoint filter; DELETE clears", async () => {
    await c.ctl("/faults", { kind: "http500", count: 1, account: ACT_EU });
    expect((await c.get(`/${V}/${ACT_US}`)).status).toBe(200);
    const r = await c.get(`/${V}/${ACT_EU}`);
    expect(r.status).toBe(500);
    expect(typeof r.body).toBe("string");
    await c.ctl("/faults", { kind: "code2", count: 5, endpoint: "campaigns" });
    expect((await c.get(`/${V}/${ACT_US}/insights`)).status).toBe(200);
    expect((await c.get(`/${V}/${ACT_US}/campaigns`)).status).toBe(503);
    expect((await c.ctl("/faults")).faults).toHaveLength(1);
    await c.ctl("/faults", undefined, "DELETE");
    expect((await c.ctl("/faults")).faults).toHaveLength(0);
    expect((await c.get(`/${V}/${ACT_US}/campaigns`)).status).toBe(200);
    expect((await c.ctl("/faults", { kind: "nope" })).error).toBeTruthy();
  });

  it("slow delays, drop destroys the socket", async () => {
    await c.ctl("/faults", { kind: "slow", count: 1, delayMs: 300 });
    const t0 = Date.now();
    expect((await c.get(`/${V}/me`)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await c.ctl("/faults", { kind: "drop", count: 1 });
    await expect(c.get(`/${V}/me`)).rejects.toThrow();
    expect((await c.get(`/${V}/me`)).status).toBe(200);
  });
});
