import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACT_JP, ACT_US, boot, Ctx, expectGraphError, V } from "./helpers";
import { parseExpandedFields } from "../../emulator/meta-graph/expansion";

let c: Ctx;
beforeAll(async () => {
  c = await boot();
});
afterAll(() => c.close());

const FIELDS = "date_start,ad_id,spend,impressions";
const edgeParams = { level: "ad", breakdowns: '["publisher_platform"]', time_increment: "1", time_range: '{"since":"2026-11-19","until":"2026-11-20"}' };

describe("field expansion parser", () => {
  it("splits items at the top level and keeps modifiers and nested fields as written", () => {
    const items = parseExpandedFields(
      'account_status,insights.level(ad).time_range({"since":"2026-11-19","until":"2026-11-20"}).filtering([{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED"]}]).limit(2){spend,actions}',
    );
    expect(items.map((i) => i.name)).toEqual(["account_status", "insights"]);
    expect(items[1]!.modifiers).toEqual({
      level: "ad",
      time_range: '{"since":"2026-11-19","until":"2026-11-20"}',
      filtering: '[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE","PAUSED"]}]',
      limit: "2",
    });
    expect(items[1]!.nestedRaw).toBe("spend,actions");
    expect(parseExpandedFields("creative{id,image_url},name").map((i) => [i.name, i.nestedRaw])).toEqual([
      ["creative", "id,image_url"],
      ["name", null],
    ]);
  });

  it("answers bad syntax with Graph's code 100", () => {
    expect(() => parseExpandedFields("insights.level(ad")).toThrow(/Syntax error/);
    expect(() => parseExpandedFields("insights{spend")).toThrow(/Syntax error/);
    expect(() => parseExpandedFields("a b")).toThrow(/Syntax error/);
  });
});

describe("an ad account read with its insights edge expanded", () => {
  for (const act of [ACT_US, ACT_JP]) {
    it(`${act}: returns the node's fields and the same rows as the plain edge read, paged by the edge's own next links`, async () => {
      const plain = await c.get(`/${V}/${act}/insights`, { ...edgeParams, fields: FIELDS, limit: "5000" });
      expect(plain.status).toBe(200);
      expect(plain.body.data.length).toBeGreaterThan(4);

      const modifiers = Object.entries(edgeParams)
        .map(([k, v]) => `.${k}(${v})`)
        .join("");
      const limit = Math.ceil(plain.body.data.length / 3);
      const first = await c.get(`/${V}/${act}`, { fields: `account_status,currency,insights${modifiers}.limit(${limit}){${FIELDS}}` });
      expect(first.status).toBe(200);
      expect(first.body.id).toBe(act);
      expect(first.body.account_status).toBe(1);
      expect(first.body.insights.data).toHaveLength(limit);
      const rows = [...first.body.insights.data];
      let next: string | undefined = first.body.insights.paging?.next;
      let pages = 0;
      expect(new URL(next!).pathname).toBe(`/${V}/${act}/insights`);
      while (next) {
        const u = new URL(next);
        const page = await c.get(u.pathname, Object.fromEntries(u.searchParams));
        expect(page.status).toBe(200);
        rows.push(...page.body.data);
        pages++;
        next = page.body.paging?.next;
      }
      expect(rows).toEqual(plain.body.data);
      expect(pages).toBe(2);
    });
  }

  it("leaves the edge out when it has no rows, and counts as an insights call", async () => {
    const r = await c.get(`/${V}/${ACT_US}`, {
      fields: `account_status,insights.level(ad).time_range({"since":"2026-11-19","until":"2026-11-20"}).filtering([{"field":"campaign.id","operator":"EQUAL","value":"1"}]){spend}`,
    });
    expect(r.status).toBe(200);
    expect(r.body.account_status).toBe(1);
    expect(r.body).not.toHaveProperty("insights");
    expect(r.headers.get("x-fb-ads-insights-throttle")).toMatch(/acc_id_util_pct/);
    const plainNode = await c.get(`/${V}/${ACT_US}`, { fields: "account_status" });
    expect(plainNode.headers.get("x-fb-ads-insights-throttle")).toBeNull();
  });

  it("refuses an expansion of an edge it does not model and a bad modifier value, like Graph (code 100)", async () => {
    expectGraphError(await c.get(`/${V}/${ACT_US}`, { fields: "campaigns.limit(2){name}" }), 400, 100);
    expectGraphError(await c.get(`/${V}/${ACT_US}`, { fields: `insights.time_range(nonsense){spend}` }), 400, 100);
  });
});
