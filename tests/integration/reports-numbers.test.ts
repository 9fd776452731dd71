/**
 * Acceptance (numbers): for a USD client and a JPY client synced from the Meta emulator, the report's
 * PDF (text extracted with pdf.js), its share page (the route's loader) and the report email all show
 * exactly the figures of the CLI's report JSON for the same range: spend, impressions, clicks,
 * conversions, CPA and ROAS, each in its currency. `spendlane reports render` writes the same PDF text.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { formatMetric, type MetricKey } from "../../app/utils/format";
import { listOutbox } from "../../app/.server/mail";
import { runSchedule, renderForLink } from "../../app/.server/reports/delivery";
import { saveSchedule, saveTemplate, standardTemplate } from "../../app/.server/reports/schedules";
import { shareToken } from "../../app/.server/reports/share";
import { loader as shareLoader } from "../../app/routes/r.$token";
import { uniq } from "../helpers/factories";
import { runProcess } from "../helpers/run-process";
import { emulator, connectTenant, sync, control, type ConnectedTenant } from "../helpers/sync-helpers";
import { DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";

const PERIOD = { since: "2026-10-01", until: "2026-10-31" };
const CHECKED: MetricKey[] = ["spend", "impressions", "clicks", "conversions", "cpa", "roas"];
const LABELS: Record<string, string> = { spend: "Spend", impressions: "Impressions", clicks: "Clicks", conversions: "Conversions", cpa: "CPA", roas: "ROAS" };

let emu: RunningEmulator;
const clients: Record<"USD" | "JPY", ConnectedTenant> = {} as never;

beforeAll(async () => {
  emu = await emulator();
  const world = await control<{ accounts: { id: string; currency: string; account_status: number }[] }>(emu, "GET", "/world");
  for (const currency of ["USD", "JPY"] as const) {
    const acc = world.accounts.find((a) => a.account_status === 1 && a.currency === currency)!;
    const t = await connectTenant(emu, { accounts: [acc.id], backfillMonths: 2 });
    const r = await sync(emu, { adAccountId: t.accounts[0]!.id, kind: "backfill" });
    expect(r.status).toBe("succeeded");
    clients[currency] = t;
  }
}, 180_000);
afterAll(async () => {
  await emu?.close();
});

async function cli(args: string[]): Promise<string> {
  const r = await runProcess("node", ["cli/bin.mjs", ...args], {
    env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "silent", META_GRAPH_URL: emu.url, META_APP_SECRET: DEFAULT_APP_SECRET },
    timeoutMs: 150_000,
  });
  if (r.status !== 0) throw new Error(r.stderr || `exit ${r.status}`);
  return r.stdout;
}

/** Every text item of every page, in reading order. */
async function pdfText(bytes: Uint8Array): Promise<string[]> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false, isEvalSupported: false }).promise;
  const items: string[] = [];
  for (let p = 1; p <= pdf.numPages; p++) {
    const content = await (await pdf.getPage(p)).getTextContent();
    for (const it of content.items) if ("str" in it && it.str.trim()) items.push(it.str.trim());
  }
  await pdf.destroy();
  return items;
}

/** The value printed right after a KPI label in the headline section. */
function kpiValue(items: string[], label: string): string | undefined {
  const start = items.indexOf("Headline KPIs");
  const i = items.indexOf(label, start);
  return i >= 0 ? items[i + 1] : undefined;
}

describe("report numbers = CLI report JSON", () => {
  for (const currency of ["USD", "JPY"] as const) {
    it(`${currency} client: PDF text, share page and email equal the CLI`, async () => {
      const t = clients[currency];
      const json = JSON.parse(
        await cli(["report", "--workspace", t.workspaceId, "--since", PERIOD.since, "--until", PERIOD.until, "--compare", "previous", "--json"]),
      );
      const totals = json.byCurrency[currency].totals as Record<string, number | null>;
      expect(Object.keys(json.byCurrency)).toEqual([currency]);
      expect(totals.spend).toBeGreaterThan(0);
      const expected = Object.fromEntries(CHECKED.map((m) => [m, formatMetric(m, totals[m], currency)]));
      if (currency === "JPY") expect(expected.spend).toMatch(/^¥[\d,]+$/);

      const templateId = await saveTemplate(t.users.owner, t.workspaceId, { ...standardTemplate(), commentary: `Notes <b>&</b> "quotes"` });
      const external = `${uniq("client")}@example.test`;
      const scheduleId = await saveSchedule(t.users.owner, t.workspaceId, {
        templateId,
        name: "Monthly report",
        frequency: "monthly",
        dayOfMonth: 1,
        hour: 8,
        viewerIds: [t.users.viewer],
        externalEmails: [external],
      });
      const { plan, outcomes } = await runSchedule(scheduleId, { kind: "manual", period: PERIOD });
      expect(Object.values(outcomes)).toEqual(["sent", "sent"]);

      // the PDF
      const rendered = await renderForLink(plan.shareLinkId);
      const items = await pdfText(rendered.pdf);
      for (const m of CHECKED) expect(kpiValue(items, LABELS[m]!), `${currency} ${m} in the PDF`).toBe(expected[m]);
      expect(items.join(" ")).toContain("Page 1 of");
      expect(items.join(" ")).toContain(`Notes <b>&</b> "quotes"`);

      // the share page (its loader, as the route serves it)
      const token = shareToken(plan.shareLinkId);
      const page = (await shareLoader({
        params: { token },
        context: { clientIp: "203.0.113.7" },
        request: new Request(`http://x/r/${token}`),
      } as never)) as Awaited<ReturnType<typeof shareLoader>>;
      const group = page.report.groups.find((g) => g.currency === currency)!;
      for (const m of CHECKED) expect(group.kpis.find((k) => k.name === m)?.value, `${currency} ${m} on the share page`).toBe(expected[m]);

      // the email (text body, readable without images)
      const [mail] = await listOutbox({ to: external });
      expect(mail!.template).toBe("report");
      for (const m of CHECKED) expect(mail!.textBody).toContain(`${LABELS[m]}: ${expected[m]}`);
      expect(mail!.textBody).toContain(`/r/${token}`);
      expect(mail!.htmlBody).toContain("Notes &lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot;");

      // spendlane reports render writes the same figures
      if (currency === "JPY") {
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "report-")), "r.pdf");
        const printed = JSON.parse(
          await cli(["reports", "render", "--workspace", t.workspaceId, "--since", PERIOD.since, "--until", PERIOD.until, "--out", out]),
        );
        expect(printed.pdfBytes).toBe(fs.statSync(out).size);
        const cliItems = await pdfText(fs.readFileSync(out));
        for (const m of CHECKED) expect(kpiValue(cliItems, LABELS[m]!), `${m} in the CLI's PDF`).toBe(expected[m]);
      }
    });
  }
});
