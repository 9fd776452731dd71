import { describe, expect, it } from "vitest";
import { delta, metricsFromSums, trimDecimal, METRICS } from "../../app/.server/reporting/metrics";

describe("metricsFromSums", () => {
  it("computes every ratio from the sums", () => {
    const m = metricsFromSums(
      { spend: "150.0000", impressions: "60000", clicks: "1200", link_clicks: "900", conversions: "30", conversion_value: "600.5000" },
      20000,
    );
    expect(m.spend).toBe(150);
    expect(m.ctr).toBeCloseTo(2, 12);
    expect(m.cpc).toBeCloseTo(0.125, 12);
    expect(m.cpm).toBeCloseTo(2.5, 12);
    expect(m.cpa).toBeCloseTo(5, 12);
    expect(m.roas).toBeCloseTo(600.5 / 150, 12);
    expect(m.reach).toBe(20000);
    expect(m.frequency).toBeCloseTo(3, 12);
  });
  it("answers null, never 0 or Infinity, when a denominator is zero", () => {
    const m = metricsFromSums({ spend: "0", impressions: "0", clicks: "0", link_clicks: "0", conversions: "0", conversion_value: "0" });
    expect([m.ctr, m.cpc, m.cpm, m.cpa, m.roas, m.reach, m.frequency]).toEqual([null, null, null, null, null, null, null]);
    const spendOnly = metricsFromSums({ spend: "10", impressions: "100", clicks: "0", link_clicks: "0", conversions: "0", conversion_value: "0" });
    expect(spendOnly.cpc).toBeNull();
    expect(spendOnly.cpa).toBeNull();
    expect(spendOnly.roas).toBe(0);
    expect(metricsFromSums({ spend: "1", impressions: "1", clicks: "0", link_clicks: "0", conversions: "0", conversion_value: "0" }, 0).frequency).toBeNull();
  });
  it("a ratio of sums is not the average of ratios", () => {
    // day 1: 1 click / 10 impressions (10 %), day 2: 1 click / 990 impressions (~0.1 %)
    const m = metricsFromSums({ spend: "0", impressions: "1000", clicks: "2", link_clicks: "0", conversions: "0", conversion_value: "0" });
    expect(m.ctr).toBeCloseTo(0.2, 12);
    expect(m.ctr).not.toBeCloseTo((10 + 100 / 990) / 2, 3);
  });
  it("marks cost metrics as inverted", () => {
    expect(
      METRICS.filter((m) => m.inverted)
        .map((m) => m.name)
        .sort(),
    ).toEqual(["cpa", "cpc", "cpm"]);
  });
});

describe("delta and trimDecimal", () => {
  it("delta", () => {
    expect(delta(110, 100)).toBeCloseTo(0.1, 12);
    expect(delta(90, 100)).toBeCloseTo(-0.1, 12);
    expect(delta(5, 0)).toBeNull();
    expect(delta(null, 5)).toBeNull();
  });
  it("trimDecimal keeps exact text", () => {
    expect(trimDecimal("1234.5600")).toBe("1234.56");
    expect(trimDecimal("0.0000")).toBe("0");
    expect(trimDecimal("120")).toBe("120");
    expect(trimDecimal("99999999999999.9900")).toBe("99999999999999.99");
  });
});
