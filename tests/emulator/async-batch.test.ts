import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_EU, ACT_US, ALICE, boot, Ctx, expectGraphError, proof, V, walk } from "./helpers";

let c: Ctx;
beforeAll(async () => {
  c = await boot({ asyncJob: { mode: "polls", pollsToComplete: 4 } });
});
afterAll(() => c.close());

const P = { level: "campaign", date_preset: "last_30d", time_increment: "1", fields: "campaign_id,spend,impressions,reach" };

describe("async reports", () => {
  it("POST insights → report_run_id; status progresses Not Started → Started → Running → Completed; results are paged and equal sync", async () => {
    const created = await c.post(`/${V}/${ACT_US}/insights`, P);
    expect(created.status).toBe(200);
    const id = created.body.report_run_id;
    expect(id).toMatch(/^\d+$/);
    const early = await c.get(`/${V}/${id}/insights`);
    expectGraphError(early, 400, 100);
    const seen: string[] = [];
    let run: any;
    for (let i = 0; i < 10; i++) {
      run = (await c.get(`/${V}/${id}`)).body;
      seen.push(run.async_status);
      if (run.async_status === "Job Completed") break;
    }
    expect(seen[0]).toBe("Job Not Started");
    expect(seen).toContain("Job Started");
    expect(seen).toContain("Job Running");
    expect(seen.at(-1)).toBe("Job Completed");
    expect(run).toMatchObject({ id, account_id: "101000000000001", async_percent_completion: 100, date_start: "2026-10-21", date_stop: "2026-11-19" });
    expect(typeof run.time_ref).toBe("number");
    expect(run.time_completed).toBeGreaterThanOrEqual(run.time_ref);
    const first = await c.get(`/${V}/${id}/insights`, { limit: "20" });
    expect(first.body.data).toHaveLength(20);
    const { rows } = await walk(first);
    const sync = await c.get(`/${V}/${ACT_US}/insights`, { ...P, limit: "5000" });
    expect(rows).toEqual(sync.body.data);
    const onlyStatus = await c.get(`/${V}/${id}`, { fields: "async_status,async_percent_completion" });
    expect(onlyStatus.body).toEqual({ id, async_status: "Job Completed", async_percent_completion: 100 });
  });

  it("time-based progression with a configurable speed", async () => {
    await c.ctl("/limits", { asyncJob: { mode: "time", durationMs: 250 } });
    try {
      const t0 = Date.now();
      const id = (await c.post(`/${V}/${ACT_EU}/insights`, { date_preset: "last_7d" })).body.report_run_id;
      const statuses = new Set<string>();
      let run: any;
      for (;;) {
        run = (await c.get(`/${V}/${id}`)).body;
        statuses.add(run.async_status);
        if (run.async_status === "Job Completed") break;
        if (Date.now() - t0 > 5000) throw new Error("job never completed");
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
      expect(statuses.has("Job Running")).toBe(true);
      expect((await c.get(`/${V}/${id}/insights`)).body.data).toHaveLength(1);
    } finally {
      await c.ctl("/limits", { asyncJob: { mode: "polls", pollsToComplete: 4 } });
    }
  });

  it("async_failed and async_skipped faults", async () => {
    await c.ctl("/faults", { kind: "async_failed", count: 1 });
    const failed = (await c.post(`/${V}/${ACT_US}/insights`, P)).body.report_run_id;
    await c.ctl("/faults", { kind: "async_skipped", count: 1 });
    const skipped = (await c.post(`/${V}/${ACT_US}/insights`, P)).body.report_run_id;
    const ok = (await c.post(`/${V}/${ACT_US}/insights`, P)).body.report_run_id;
    const finish = async (id: string) => {
      let r: any;
      for (let i = 0; i < 6; i++) r = (await c.get(`/${V}/${id}`)).body;
      return r;
    };
    const f = await finish(failed);
    expect(f.async_status).toBe("Job Failed");
    expect(f.error_code).toBeDefined();
    expect((await finish(skipped)).async_status).toBe("Job Skipped");
    expect((await finish(ok)).async_status).toBe("Job Completed");
    expectGraphError(await c.get(`/${V}/${failed}/insights`), 400, 100);
  });

  it("another user cannot read the report run", async () => {
    const id = (await c.post(`/${V}/${ACT_EU}/insights`, P)).body.report_run_id;
    const bruno = await c.newToken({ userId: "100000000000002" }); // no access to the EUR account
    expectGraphError(await c.get(`/${V}/${id}`, {}, { token: bruno }), 400, 100, 33);
  });
});

describe("batch", () => {
  const batch = async (items: unknown[], extra: Record<string, string> = {}, path = "/") => c.post(path, { batch: JSON.stringify(items), ...extra });

  it("returns one {code, headers, body-string} per item, in order", async () => {
    const r = await batch([
      { method: "GET", relative_url: `${V}/me` },
      { method: "GET", relative_url: `${V}/${ACT_US}/insights?fields=spend&date_preset=last_7d` },
      { method: "GET", relative_url: `${V}/act_1` },
      { method: "POST", relative_url: `${V}/${ACT_US}/insights`, body: "fields=spend&date_preset=last_7d" },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(4);
    const [me, insights, bad, post] = r.body;
    expect(me.code).toBe(200);
    expect(typeof me.body).toBe("string");
    expect(JSON.parse(me.body)).toEqual({ id: ALICE, name: "Alice Martin" });
    expect(me.headers).toEqual(expect.arrayContaining([{ name: "Content-Type", value: expect.any(String) }]));
    expect(insights.code).toBe(200);
    expect(JSON.parse(insights.body).data).toHaveLength(1);
    const names = insights.headers.map((h: any) => h.name.toLowerCase());
    expect(names).toEqual(expect.arrayContaining(["x-app-usage", "x-ad-account-usage", "x-business-use-case-usage", "x-fb-ads-insights-throttle"]));
    expect(bad.code).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe(100);
    expect(JSON.parse(post.body).report_run_id).toMatch(/^\d+$/);
  });

  it("works on a versioned batch URL with unversioned items; include_headers=false", async () => {
    const r = await batch(
      [
        { method: "GET", relative_url: "me" },
        { method: "GET", relative_url: `${ACT_US}?fields=currency` },
      ],
      { include_headers: "false" },
      `/${V}/`,
    );
    expect(r.body.map((x: any) => x.code)).toEqual([200, 200]);
    expect(r.body[0]).not.toHaveProperty("headers");
    expect(JSON.parse(r.body[1].body).currency).toBe("USD");
  });

  it("more than 50 items is an error; items count individually", async () => {
    const items = Array.from({ length: 51 }, () => ({ method: "GET", relative_url: `${V}/me` }));
    const r = await batch(items);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("50");
    await c.ctl("/calls/reset", {});
    const ok = await batch(items.slice(0, 50));
    expect(ok.body).toHaveLength(50);
    const calls = await c.ctl("/calls");
    expect(calls.byKind.me).toBe(50);
    expect(calls.byKind.batch).toBe(1);
  });

  it("batch_timeout fault returns null items; per-item tokens and proofs are checked", async () => {
    await c.ctl("/faults", { kind: "batch_timeout", count: 1 });
    const items = Array.from({ length: 4 }, () => ({ method: "GET", relative_url: `${V}/me` }));
    const r = await batch(items);
    expect(r.body[0].code).toBe(200);
    expect(r.body.slice(2)).toEqual([null, null]);
    const again = await batch(items);
    expect(again.body.every((x: any) => x && x.code === 200)).toBe(true);
    const other = await c.newToken({ userId: "100000000000003" });
    const mixed = await batch([
      { method: "GET", relative_url: `${V}/me?access_token=${other}&appsecret_proof=${proof(other)}` },
      { method: "GET", relative_url: `${V}/me?access_token=${other}` },
    ]);
    expect(JSON.parse(mixed.body[0].body).id).toBe("100000000000003");
    expect(mixed.body[1].code).toBe(400);
    const none = await c.post("/", { batch: JSON.stringify(items) }, { token: null });
    expectGraphError(none, 400, 104);
  });
});

describe("report results held in memory (jobRowsKept)", () => {
  let k: Ctx;
  beforeAll(async () => {
    k = await boot({ asyncJob: { mode: "polls", pollsToComplete: 1 }, jobRowsKept: 40 });
  });
  afterAll(() => k.close());

  // a range that ends today (11-20 in Los Angeles): today's partial figures grow as the clock moves
  const { date_preset: _preset, ...campaignDaily } = P;
  const TODAY_RANGE = { ...campaignDaily, time_range: JSON.stringify({ since: "2026-11-14", until: "2026-11-20" }) };
  const finished = async (id: string) => {
    for (let i = 0; i < 4; i++) if ((await k.get(`/${V}/${id}`)).body.async_status === "Job Completed") return;
    throw new Error(`report ${id} did not complete`);
  };

  it("an older report's rows leave memory and are computed again, as of the moment it ran, when read", async () => {
    const a = (await k.post(`/${V}/${ACT_US}/insights`, TODAY_RANGE)).body.report_run_id as string;
    await finished(a);
    const held = (await walk(await k.get(`/${V}/${a}/insights`, { limit: "25" }))).rows;
    expect(held.length).toBeGreaterThan(40);

    const b = (await k.post(`/${V}/${ACT_EU}/insights`, TODAY_RANGE)).body.report_run_id as string;
    await finished(b);
    const emu = k.em.emulator;
    expect(emu.jobs.get(a)!.rows).toBeNull();
    expect(emu.jobs.get(b)!.rows).not.toBeNull();

    await k.ctl("/clock", { advanceSeconds: 3 * 3600 });
    // the same query now is another answer (today has moved on)...
    const now = (await k.get(`/${V}/${ACT_US}/insights`, { ...TODAY_RANGE, limit: "5000" })).body.data;
    expect(now).not.toEqual(held);
    // ...but the report answers as it did when it ran
    const again = (await walk(await k.get(`/${V}/${a}/insights`, { limit: "25" }))).rows;
    expect(again).toEqual(held);
    expect(emu.keptJobs.map((j) => j.id)).toEqual([a]);
  });
});

describe("report runs compute after the POST has answered", () => {
  let k: Ctx;
  beforeAll(async () => {
    // no clock delay: a run is done exactly when its rows are
    k = await boot({ asyncJob: { mode: "time", durationMs: 0 } });
  });
  afterAll(() => k.close());

  it("a query Meta refuses is refused by the POST itself", async () => {
    const r = await k.post(`/${V}/${ACT_US}/insights`, { level: "adset", breakdowns: "country,age", date_preset: "last_30d", fields: "spend" });
    expectGraphError(r, 400, 100);
    expect(r.body.error.message).toContain("combination of data breakdown columns");
  });

  it("a big report answers the POST while its rows are still being computed; the run completes when they are", async () => {
    const big = {
      level: "ad",
      breakdowns: "age,gender",
      time_increment: "1",
      time_range: JSON.stringify({ since: "2026-09-21", until: "2026-11-19" }),
      fields: "ad_id,spend,impressions",
    };
    const id = (await k.post(`/${V}/${ACT_US}/insights`, big)).body.report_run_id as string;
    const job = k.em.emulator.jobs.get(id)!;
    expect(job.computing).not.toBeNull();
    const seen: string[] = [];
    for (;;) {
      const run = (await k.get(`/${V}/${id}`)).body;
      seen.push(run.async_status);
      if (run.async_status === "Job Completed") break;
      expect(run.async_percent_completion).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen[0]).not.toBe("Job Completed");
    expect(job.computing).toBeNull();
    expect(job.rows!.length).toBeGreaterThan(1000);
    const first = await k.get(`/${V}/${id}/insights`, { limit: "5000" });
    expect(first.body.data).toEqual(job.rows!.slice(0, 5000));
  });
});
