/**
 * User and Meta strings in every report format: escaped in the email's HTML, plain in its text, drawn
 * as text (never PDF syntax) in the PDF, with control characters removed everywhere.
 */
import { describe, expect, it } from "vitest";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { metricsFromSums, ZERO_SUMS } from "../../app/.server/reporting/metrics";
import { resolveRange } from "../../app/.server/reporting/dates";
import type { ReportDocument } from "../../app/.server/reports/document";
import { reportMail } from "../../app/.server/reports/email";
import { renderReportPdf } from "../../app/.server/reports/pdf";

const EVIL = `<img src=x onerror="alert(1)"> & 'quotes' ) Tj (pwned`;

function doc(): ReportDocument {
  const sums = { ...ZERO_SUMS, spend: "1234.5600", impressions: "1000", clicks: "10", conversions: "2", conversion_value: "99.5" };
  const range = resolveRange({ range: "custom", since: "2026-10-01", until: "2026-10-02", compare: "none" }, "UTC");
  return {
    title: `Monthly ${EVIL}`,
    workspace: { id: "w", name: `Client ${EVIL}`, agencyId: "a" },
    branding: {
      agencyId: "a",
      agencyName: "A",
      displayName: `Agency ${EVIL}\u0007`,
      brandColor: "#112233",
      replyTo: null,
      logo: null,
      timezone: "UTC",
      pageSize: "LETTER",
      hidePoweredBy: false,
      planAllowsWhiteLabel: false,
      poweredBy: true,
    },
    sections: ["kpis", "campaigns", "commentary"],
    commentary: `Note ${EVIL}`,
    report: {
      range,
      byCurrency: {
        USD: {
          currency: "USD",
          accounts: [],
          totalsSums: sums,
          totals: metricsFromSums(sums),
          previous: null,
          campaigns: [
            { ad_account_id: "x", meta_campaign_id: "1", name: `Campaign ${EVIL}`, status: null, objective: null, sums, metrics: metricsFromSums(sums) },
          ],
          platforms: [],
          daily: [
            { date: "2026-10-01", sums, metrics: metricsFromSums(sums) },
            { date: "2026-10-02", sums: ZERO_SUMS, metrics: metricsFromSums(ZERO_SUMS) },
          ],
          attribution: { key: "7d_click,1d_view", windows: ["7d_click", "1d_view"], label: "7-day click or 1-day view", mixed: false },
        },
      },
    },
    dataAsOf: null,
    staleAccounts: [],
    generatedAt: new Date(),
  };
}

describe("report escaping", () => {
  it("the email's HTML escapes every user and Meta string; the text stays plain", () => {
    const m = reportMail(doc(), { shareUrl: "https://app.test/r/abc?x=1&y=2", logoUrl: null, expiresAt: new Date() });
    expect(m.html).not.toContain("<img src=x");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quotes&#39;");
    expect(m.html).toContain('href="https://app.test/r/abc?x=1&amp;y=2"');
    expect(m.text).toContain(`Client ${EVIL}`);
    expect(m.text).not.toContain("\u0007");
    expect(m.text).toContain("Spend: $1,234.56");
  });

  it("the PDF draws them as text, on Letter paper", async () => {
    const pdf = await renderReportPdf(doc());
    const loaded = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false }).promise;
    const page = await loaded.getPage(1);
    const [, , w, h] = page.view;
    expect([Math.round(w!), Math.round(h!)]).toEqual([612, 792]);
    const text = (await page.getTextContent()).items.map((i) => ("str" in i ? i.str : "")).join("");
    // table cells are cut with an ellipsis to their column: the start is enough
    expect(text).toContain(`Campaign <img src=x`);
    expect(text).toContain(`Note ${EVIL}`);
    expect(text).toContain("$1,234.56");
    expect(text).not.toContain("\u0007");
    await loaded.destroy();
  });
});
