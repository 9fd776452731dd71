import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  addDays,
  addMonths,
  comparisonRange,
  daysBetween,
  parseRangeParams,
  presetRange,
  resolveRange,
  todayIn,
  PRESETS,
} from "../../app/.server/reporting/dates";
import { InputError } from "../../app/.server/errors";

describe("todayIn", () => {
  it("uses the account's time zone, not the server's", () => {
    // 2026-10-31 20:30 UTC: already Nov 1 in Tokyo, still Oct 31 in Los Angeles
    const now = new Date("2026-10-31T20:30:00Z");
    expect(todayIn("Asia/Tokyo", now)).toBe("2026-11-01");
    expect(todayIn("America/Los_Angeles", now)).toBe("2026-10-31");
    expect(todayIn("UTC", now)).toBe("2026-10-31");
  });
  it("handles the DST switch day", () => {
    expect(todayIn("America/New_York", new Date("2026-03-08T06:59:00Z"))).toBe("2026-03-08");
    expect(todayIn("America/New_York", new Date("2026-03-08T04:59:00Z"))).toBe("2026-03-07");
  });
});

describe("presets", () => {
  const today = "2026-03-15";
  it.each([
    ["today", "2026-03-15", "2026-03-15"],
    ["yesterday", "2026-03-14", "2026-03-14"],
    ["last_7d", "2026-03-08", "2026-03-14"],
    ["last_14d", "2026-03-01", "2026-03-14"],
    ["last_28d", "2026-02-15", "2026-03-14"],
    ["last_30d", "2026-02-13", "2026-03-14"],
    ["last_90d", "2025-12-15", "2026-03-14"],
    ["this_month", "2026-03-01", "2026-03-15"],
    ["last_month", "2026-02-01", "2026-02-28"],
    ["this_quarter", "2026-01-01", "2026-03-15"],
    ["last_quarter", "2025-10-01", "2025-12-31"],
  ] as const)("%s", (preset, since, until) => {
    expect(presetRange(preset, today)).toEqual({ since, until });
  });
  it("last month in a leap year and across the year", () => {
    expect(presetRange("last_month", "2028-03-31")).toEqual({ since: "2028-02-01", until: "2028-02-29" });
    expect(presetRange("last_month", "2027-01-05")).toEqual({ since: "2026-12-01", until: "2026-12-31" });
    expect(presetRange("last_quarter", "2027-02-10")).toEqual({ since: "2026-10-01", until: "2026-12-31" });
  });
  it("every last_Nd preset has N days and ends yesterday (property)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), (d) => {
        const today = d.toISOString().slice(0, 10);
        for (const n of [7, 14, 28, 30, 90]) {
          const r = presetRange(`last_${n}d` as "last_7d", today);
          expect(daysBetween(r.since, r.until) + 1).toBe(n);
          expect(r.until).toBe(addDays(today, -1));
        }
      }),
    );
  });
});

describe("comparison", () => {
  it("previous period has the same length and ends the day before", () => {
    expect(comparisonRange({ since: "2026-10-01", until: "2026-10-28" }, "previous")).toEqual({ since: "2026-09-03", until: "2026-09-30" });
  });
  it("same period last year clamps Feb 29", () => {
    expect(comparisonRange({ since: "2028-02-01", until: "2028-02-29" }, "year")).toEqual({ since: "2027-02-01", until: "2027-02-28" });
  });
  it("none", () => {
    expect(comparisonRange({ since: "2026-10-01", until: "2026-10-28" }, "none")).toBeNull();
  });
  it("addMonths clamps to the month's end", () => {
    expect(addMonths("2026-03-31", -1)).toBe("2026-02-28");
    expect(addMonths("2026-01-15", -13)).toBe("2024-12-15");
  });
});

describe("parseRangeParams", () => {
  it("defaults to last 28 days against the previous period", () => {
    expect(parseRangeParams(new URLSearchParams())).toEqual({ range: "last_28d", compare: "previous" });
  });
  it("accepts every preset", () => {
    for (const p of PRESETS.filter((p) => p !== "custom")) expect(parseRangeParams({ range: p }).range).toBe(p);
  });
  it("treats since/until alone as custom", () => {
    const p = parseRangeParams(new URLSearchParams("since=2026-09-20&until=2026-10-05&compare=year"));
    expect(p).toEqual({ range: "custom", since: "2026-09-20", until: "2026-10-05", compare: "year" });
    const r = resolveRange(p, "Asia/Tokyo");
    expect(r).toMatchObject({ since: "2026-09-20", until: "2026-10-05", days: 16, previous: { since: "2025-09-20", until: "2025-10-05" } });
  });
  it.each([
    ["range=bogus", "range"],
    ["range=custom&since=2026-10-05", "until"],
    ["since=2026-10-05&until=2026-10-01", "until"],
    ["since=2026-02-30&until=2026-03-01", "since"],
    ["since=2020-01-01&until=2026-01-01", "since"],
    ["compare=sometimes", "compare"],
  ])("refuses %s", (qs, field) => {
    try {
      parseRangeParams(new URLSearchParams(qs));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect(Object.keys((err as InputError).fields)).toContain(field);
    }
  });
});
