import { describe, expect, it } from "vitest";
import { deltaTone, formatCount, formatDateRange, formatDelta, formatMetric, formatMoney, formatPercent, formatRelativeTime } from "../../app/utils/format";

describe("format", () => {
  it("money per currency: JPY without decimals", () => {
    expect(formatMoney(1234.5, "USD")).toBe("$1,234.50");
    expect(formatMoney(123456.7, "JPY")).toBe("¥123,457");
    expect(formatMoney(1234.5, "EUR")).toBe("€1,234.50");
    expect(formatMoney(1234567, "USD", { compact: true })).toBe("$1.2M");
    expect(formatMoney(null, "USD")).toBe("—");
  });
  it("metrics by kind, with — for missing values", () => {
    expect(formatMetric("ctr", 1.8577, "USD")).toBe("1.86%");
    expect(formatMetric("roas", 3.4219, "USD")).toBe("3.42×");
    expect(formatMetric("cpa", null, "JPY")).toBe("—");
    expect(formatMetric("cpc", 38.4, "JPY")).toBe("¥38");
    expect(formatMetric("impressions", 262851, "USD")).toBe("262,851");
    expect(formatCount(262851, { compact: true })).toBe("262.9K");
    expect(formatPercent(Number.NaN)).toBe("—");
  });
  it("deltas and their colour, inverted for costs", () => {
    expect(formatDelta(0.1234)).toBe("+12%");
    expect(formatDelta(-0.054)).toBe("−5.4%");
    expect(formatDelta(null)).toBe("—");
    expect(deltaTone(0.1, false)).toBe("good");
    expect(deltaTone(0.1, true)).toBe("bad");
    expect(deltaTone(-0.1, true)).toBe("good");
    expect(deltaTone(0, true)).toBe("flat");
  });
  it("dates", () => {
    expect(formatDateRange("2026-09-25", "2026-10-05")).toBe("Sep 25 – Oct 5, 2026");
    expect(formatDateRange("2025-12-25", "2026-01-05")).toBe("Dec 25, 2025 – Jan 5, 2026");
    const now = Date.parse("2026-10-05T12:00:00Z");
    expect(formatRelativeTime("2026-10-05 11:57:00+00", now)).toBe("3 min ago");
    expect(formatRelativeTime(null, now)).toBe("never");
  });
});
