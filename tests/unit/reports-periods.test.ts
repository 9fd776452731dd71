import { describe, expect, it } from "vitest";
import { isoWeekday, nextRunAfter, periodAt, reportPeriod } from "../../app/.server/reports/periods";

describe("report periods", () => {
  it("last week is Monday to Sunday before this week", () => {
    expect(isoWeekday("2026-12-01")).toBe(2);
    expect(reportPeriod("last_week", "2026-12-01")).toEqual({ since: "2026-11-23", until: "2026-11-29" });
    expect(reportPeriod("last_week", "2026-11-30")).toEqual({ since: "2026-11-23", until: "2026-11-29" });
    expect(reportPeriod("last_week", "2026-12-06")).toEqual({ since: "2026-11-23", until: "2026-11-29" });
  });
  it("last month, month to date, last N days", () => {
    expect(reportPeriod("last_month", "2026-03-01")).toEqual({ since: "2026-02-01", until: "2026-02-28" });
    expect(reportPeriod("month_to_date", "2026-03-15")).toEqual({ since: "2026-03-01", until: "2026-03-15" });
    expect(reportPeriod("last_7d", "2026-03-15")).toEqual({ since: "2026-03-08", until: "2026-03-14" });
  });
  it("resolves in the ad account's zone: Tokyo is already in December", () => {
    const now = new Date("2026-11-30T20:00:00Z");
    expect(periodAt("last_month", "Asia/Tokyo", now)).toEqual({ since: "2026-11-01", until: "2026-11-30" });
    expect(periodAt("last_month", "America/Los_Angeles", now)).toEqual({ since: "2026-10-01", until: "2026-10-31" });
  });
});

describe("schedule times", () => {
  it("weekly: the next weekday at the hour in the agency's zone", () => {
    // Monday 08:00 in Berlin (UTC+1 in winter) = 07:00 UTC
    const at = nextRunAfter({ frequency: "weekly", weekday: 1, dayOfMonth: null, hour: 8 }, "Europe/Berlin", new Date("2026-12-01T12:00:00Z"));
    expect(at.toISOString()).toBe("2026-12-07T07:00:00.000Z");
  });
  it("monthly: the day of the month, strictly after now", () => {
    const t = { frequency: "monthly" as const, weekday: null, dayOfMonth: 1, hour: 9 };
    expect(nextRunAfter(t, "America/New_York", new Date("2026-12-01T13:59:00Z")).toISOString()).toBe("2026-12-01T14:00:00.000Z");
    expect(nextRunAfter(t, "America/New_York", new Date("2026-12-01T14:00:00Z")).toISOString()).toBe("2027-01-01T14:00:00.000Z");
  });
  it("follows daylight saving time: 9:00 stays 9:00 local", () => {
    const t = { frequency: "monthly" as const, weekday: null, dayOfMonth: 15, hour: 9 };
    expect(nextRunAfter(t, "Europe/London", new Date("2026-03-01T00:00:00Z")).toISOString()).toBe("2026-03-15T09:00:00.000Z");
    expect(nextRunAfter(t, "Europe/London", new Date("2026-04-01T00:00:00Z")).toISOString()).toBe("2026-04-15T08:00:00.000Z");
  });
});
