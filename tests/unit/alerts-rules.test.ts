/** The pure parts of the alerts: robust statistics, the anomaly verdict, recipients' channels, mail escaping. */
import { describe, expect, it } from "vitest";
import { defaultAnomalyMinSpend, judgeSpend, mad, median, money } from "../../app/.server/alerts/rules";
import { channelFor } from "../../app/.server/alerts/delivery";
import { alertDigestMail, alertMail, type MailAlert } from "../../app/.server/alerts/mail";

const baseline = [100, 104, 96, 110, 90, 101, 99, 105, 95, 100, 102, 98, 97, 103];

describe("anomaly statistics", () => {
  it("median and MAD by hand", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1); // deviations 2,1,0,1,97 -> median 1
  });

  it("flags spikes beyond the band, drops only on complete days, nothing below the minimum spend", () => {
    // median 100; MAD 3 -> 3 x 1.4826 x 3 = 13.3; the 50 % floor (50) wins: band 50
    expect(judgeSpend(149, baseline, 50, true)).toBeNull();
    expect(judgeSpend(151, baseline, 50, true)).toMatchObject({ direction: "spike", median: 100, band: 50 });
    expect(judgeSpend(40, baseline, 50, true)).toBeNull(); // a running day is not judged for drops
    expect(judgeSpend(40, baseline, 50, false)).toMatchObject({ direction: "drop" });
    expect(judgeSpend(151, baseline, 500, true)).toBeNull(); // tiny accounts do not alert
    expect(judgeSpend(1000, baseline.slice(0, 6), 50, true)).toBeNull(); // not enough history
  });

  it("minimum spend defaults per currency, and money is formatted with the currency's digits", () => {
    expect(defaultAnomalyMinSpend("USD")).toBe(50);
    expect(defaultAnomalyMinSpend("JPY")).toBe(5000);
    expect(money(1234.5, "USD")).toBe("$1,234.50");
    expect(money(1234, "JPY")).toBe("¥1,234");
  });
});

describe("channels", () => {
  it("followed-only staff get nothing for clients they do not follow; viewers ignore the scope; defaults per rule", () => {
    expect(channelFor({ viewer: false, scope: "followed", follows: false, delivery: "immediate" }, "zero_delivery")).toBe("off");
    expect(channelFor({ viewer: false, scope: "followed", follows: true, delivery: null }, "zero_delivery")).toBe("immediate");
    expect(channelFor({ viewer: false, scope: "all", follows: false, delivery: null }, "projected_overspend")).toBe("digest");
    expect(channelFor({ viewer: true, scope: "followed", follows: false, delivery: null }, "projected_overspend")).toBe("digest");
    expect(channelFor({ viewer: false, scope: "all", follows: false, delivery: "off" }, "spend_anomaly")).toBe("off");
  });
});

describe("alert mail", () => {
  const evil: MailAlert = {
    rule: "spend_anomaly",
    message: `Client <script>alert(1)</script>: spent $5 "today"`,
    link: "/a/acme/w/x?range=custom&since=2026-11-20&until=2026-11-20",
    subjectLabel: "<b>Account</b>",
    openedAt: new Date("2026-11-20T10:00:00Z"),
    resolvedAt: null,
    workspaceName: `Bad & <img src=x onerror=alert(1)>`,
    agencyName: "Acme <Agency>",
  };

  it("escapes names and messages from Meta and users in the HTML; links are absolute", () => {
    const m = alertMail(evil, "https://app.example.com");
    expect(m.html).not.toMatch(/<script|<img/i);
    expect(m.html).toContain("&lt;script&gt;");
    expect(m.html).toContain("https://app.example.com/a/acme/w/x?range=custom&amp;since=2026-11-20&amp;until=2026-11-20");
    expect(m.text).toContain("Open: https://app.example.com/a/acme/w/x?range=custom&since=2026-11-20&until=2026-11-20");
    const d = alertDigestMail([evil, { ...evil, resolvedAt: new Date("2026-11-20T12:00:00Z") }], "https://app.example.com");
    expect(d.html).not.toMatch(/<script|<img/i);
    expect(d.subject).toBe("Acme <Agency>: 2 alerts (1 still open)");
    expect(d.html).toContain("https://app.example.com/a/acme/alerts");
  });
});
