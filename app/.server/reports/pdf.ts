/**
 * The PDF of a report, drawn with pdfkit (pure JavaScript, no browser binary: ADR 0090). Numbers are
 * real text (selectable, searchable, extractable), charts are vector paths, every page carries its
 * number and the agency's branding, the paper is A4 or Letter by agency setting.
 *
 * Text goes through pdfkit's text API, which encodes strings as glyphs of the embedded font (Noto Sans,
 * subset per document), so no user or Meta string can become PDF syntax; control characters are
 * dropped first (cleanText). Glyphs the font lacks (CJK) are drawn as empty boxes: see the ADR.
 */
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import { formatDate, formatDateRange, formatDelta, formatMetric, formatMoney, METRIC_BY_NAME } from "../../utils/format";
import { delta } from "../reporting/metrics";
import { type CurrencyReport } from "../reporting/workspace";
import { platformLabel } from "../../utils/platforms";
import { cleanText, currencyGroups, type ReportDocument } from "./document";
import { HEADLINE_METRICS, TABLE_METRICS, type SectionKind } from "./sections";

const require = createRequire(import.meta.url);
const FONT_REGULAR = require.resolve("@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf");
const FONT_BOLD = require.resolve("@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf");

const MARGIN = 48;
const INK = "#18181b";
const MUTED = "#71717a";
const RULE = "#e4e4e7";
const MAX_TABLE_ROWS = 40;

type Doc = PDFKit.PDFDocument;

export function comparisonLabel(doc: ReportDocument): string | null {
  const p = doc.report.range.previous;
  if (!p) return null;
  return `${doc.report.range.compare === "year" ? "vs the same period last year" : "vs the previous period"} (${formatDateRange(p.since, p.until)})`;
}

/** Renders the report to PDF bytes. */
export async function renderReportPdf(doc: ReportDocument): Promise<Buffer> {
  const pdf = new PDFDocument({
    size: doc.branding.pageSize,
    margins: { top: MARGIN, bottom: MARGIN + 20, left: MARGIN, right: MARGIN },
    bufferPages: true,
    info: { Title: cleanText(`${doc.title} · ${doc.workspace.name}`), Author: cleanText(doc.branding.displayName), Creator: "Spendlane" },
    lang: "en",
  });
  pdf.registerFont("Body", FONT_REGULAR);
  pdf.registerFont("Bold", FONT_BOLD);
  const chunks: Buffer[] = [];
  pdf.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });

  header(pdf, doc);
  const groups = currencyGroups(doc);
  if (groups.length === 0) {
    pdf.font("Body").fontSize(11).fillColor(MUTED).text("No ad accounts are connected to this client yet, so there is nothing to report.");
  }
  for (const section of doc.sections) {
    if (section === "commentary") {
      commentary(pdf, doc);
      continue;
    }
    for (const g of groups) SECTION_RENDERERS[section](pdf, doc, g, groups.length > 1);
  }
  footers(pdf, doc);
  pdf.end();
  return done;
}

type SectionRenderer = (pdf: Doc, doc: ReportDocument, g: CurrencyReport, named: boolean) => void;

const SECTION_RENDERERS: Record<Exclude<SectionKind, "commentary">, SectionRenderer> = {
  kpis,
  daily_chart: dailyChart,
  campaigns: (pdf, doc, g, named) =>
    table(
      pdf,
      doc,
      g,
      named,
      "Campaigns",
      g.campaigns.map((c) => ({ label: c.name, metrics: c.metrics })),
    ),
  platforms: (pdf, doc, g, named) =>
    table(
      pdf,
      doc,
      g,
      named,
      "Platforms",
      g.platforms.map((p) => ({ label: platformLabel(p.platform), metrics: p.metrics })),
    ),
};

function contentWidth(pdf: Doc) {
  return pdf.page.width - MARGIN * 2;
}

function ensureSpace(pdf: Doc, height: number) {
  if (pdf.y + height > pdf.page.height - pdf.page.margins.bottom) pdf.addPage();
}

/** A section's heading; `body` is the height that must fit under it, so no heading is left alone at a page's foot. */
function sectionTitle(pdf: Doc, doc: ReportDocument, title: string, g: CurrencyReport | null, named: boolean, body = 40) {
  ensureSpace(pdf, body + 40);
  pdf.moveDown(0.8);
  const y = pdf.y;
  pdf.rect(MARGIN, y + 2, 3, 12).fill(doc.branding.brandColor);
  pdf
    .font("Bold")
    .fontSize(12)
    .fillColor(INK)
    .text(named && g ? `${title} · ${g.currency}` : title, MARGIN + 10, y);
  pdf.moveDown(0.4);
  pdf.x = MARGIN;
}

function header(pdf: Doc, doc: ReportDocument) {
  const w = contentWidth(pdf);
  pdf.rect(0, 0, pdf.page.width, 6).fill(doc.branding.brandColor);
  let textX = MARGIN;
  if (doc.branding.logo) {
    try {
      pdf.image(doc.branding.logo.bytes, MARGIN, MARGIN - 8, { fit: [120, 40] });
      textX = MARGIN + 132;
    } catch {
      // validated on upload; a logo pdfkit cannot read is left out rather than failing the report
    }
  }
  pdf
    .font("Bold")
    .fontSize(10)
    .fillColor(doc.branding.brandColor)
    .text(cleanText(doc.branding.displayName), textX, MARGIN - 6, { width: w - (textX - MARGIN) });
  pdf
    .font("Bold")
    .fontSize(18)
    .fillColor(INK)
    .text(cleanText(doc.title), textX, pdf.y, { width: w - (textX - MARGIN) });
  pdf.y = Math.max(pdf.y, MARGIN + 40);
  pdf.x = MARGIN;
  pdf.moveDown(0.3);
  const r = doc.report.range;
  pdf
    .font("Body")
    .fontSize(11)
    .fillColor(INK)
    .text(`${cleanText(doc.workspace.name)} · ${formatDateRange(r.since, r.until)}`, MARGIN, pdf.y, { width: w });
  const cmp = comparisonLabel(doc);
  const fresh = doc.dataAsOf ? `Data as of ${doc.dataAsOf.slice(0, 16).replace("T", " ")} UTC` : "Data not synced yet";
  pdf
    .fontSize(9)
    .fillColor(MUTED)
    .text([cmp, `Dates in ${r.timezone}`, fresh].filter(Boolean).join(" · "), { width: w });
  if (doc.staleAccounts.length) {
    pdf.fillColor("#b45309").text(`Still syncing or needing attention: ${doc.staleAccounts.map(cleanText).join(", ")}. Figures may change.`, { width: w });
  }
}

function kpis(pdf: Doc, doc: ReportDocument, g: CurrencyReport, named: boolean) {
  sectionTitle(pdf, doc, "Headline KPIs", g, named, 124);
  const cols = 4;
  const gap = 8;
  const w = contentWidth(pdf);
  const boxW = (w - gap * (cols - 1)) / cols;
  const boxH = 54;
  ensureSpace(pdf, (boxH + gap) * 2);
  const top = pdf.y;
  HEADLINE_METRICS.forEach((name, i) => {
    const x = MARGIN + (i % cols) * (boxW + gap);
    const y = top + Math.floor(i / cols) * (boxH + gap);
    pdf.roundedRect(x, y, boxW, boxH, 4).lineWidth(0.75).stroke(RULE);
    const def = METRIC_BY_NAME[name];
    pdf
      .font("Body")
      .fontSize(8)
      .fillColor(MUTED)
      .text(def.label, x + 8, y + 7, { width: boxW - 16, lineBreak: false });
    pdf
      .font("Bold")
      .fontSize(13)
      .fillColor(INK)
      .text(formatMetric(name, g.totals[name], g.currency), x + 8, y + 19, { width: boxW - 16, lineBreak: false });
    if (g.previous) {
      const d = delta(g.totals[name], g.previous[name]);
      pdf
        .font("Body")
        .fontSize(8)
        .fillColor(MUTED)
        .text(`${formatDelta(d)} (was ${formatMetric(name, g.previous[name], g.currency)})`, x + 8, y + 38, { width: boxW - 16, lineBreak: false });
    }
  });
  pdf.y = top + (boxH + gap) * Math.ceil(HEADLINE_METRICS.length / cols);
  pdf.x = MARGIN;
}

/** Daily spend as vector bars with the conversions as a vector line on its own scale. */
function dailyChart(pdf: Doc, doc: ReportDocument, g: CurrencyReport, named: boolean) {
  sectionTitle(pdf, doc, "Daily spend and conversions", g, named, 170);
  const w = contentWidth(pdf);
  const h = 140;
  ensureSpace(pdf, h + 30);
  const top = pdf.y + 4;
  const days = g.daily;
  const maxSpend = Math.max(0, ...days.map((d) => d.metrics.spend));
  // conversions are withheld (null) where they would mix attribution windows: no line then
  const maxConv = Math.max(0, ...days.map((d) => d.metrics.conversions ?? 0));
  const step = w / Math.max(days.length, 1);
  pdf
    .moveTo(MARGIN, top + h)
    .lineTo(MARGIN + w, top + h)
    .lineWidth(0.5)
    .stroke(RULE);
  days.forEach((d, i) => {
    const bh = maxSpend > 0 ? (d.metrics.spend / maxSpend) * (h - 10) : 0;
    if (bh > 0) pdf.rect(MARGIN + i * step + step * 0.15, top + h - bh, step * 0.7, bh).fill(doc.branding.brandColor);
  });
  if (maxConv > 0 && days.length > 1) {
    days.forEach((d, i) => {
      const x = MARGIN + i * step + step / 2;
      const y = top + h - ((d.metrics.conversions ?? 0) / maxConv) * (h - 10);
      if (i === 0) pdf.moveTo(x, y);
      else pdf.lineTo(x, y);
    });
    pdf.lineWidth(1.5).stroke(INK);
  }
  pdf.font("Body").fontSize(8).fillColor(MUTED);
  pdf.text(
    `Peak day spend ${formatMoney(maxSpend, g.currency)} (bars) · peak conversions ${formatMetric("conversions", maxConv, g.currency)} (line)`,
    MARGIN,
    top - 2,
    { width: w, align: "right" },
  );
  if (days.length) {
    pdf.text(formatDate(days[0]!.date, { short: true }), MARGIN, top + h + 4, { width: w / 2, lineBreak: false });
    pdf.text(formatDate(days[days.length - 1]!.date, { short: true }), MARGIN + w / 2, top + h + 4, { width: w / 2, align: "right", lineBreak: false });
  }
  pdf.y = top + h + 18;
  pdf.x = MARGIN;
}

function table(pdf: Doc, doc: ReportDocument, g: CurrencyReport, named: boolean, title: string, rows: { label: string; metrics: CurrencyReport["totals"] }[]) {
  sectionTitle(pdf, doc, title, g, named);
  const w = contentWidth(pdf);
  const numW = 62;
  const labelW = w - numW * TABLE_METRICS.length;
  const rowH = 16;
  const headerRow = () => {
    const y = pdf.y;
    pdf.font("Bold").fontSize(8).fillColor(MUTED).text("Name", MARGIN, y, { width: labelW, lineBreak: false });
    TABLE_METRICS.forEach((m, i) => pdf.text(METRIC_BY_NAME[m].label, MARGIN + labelW + i * numW, y, { width: numW, align: "right", lineBreak: false }));
    pdf
      .moveTo(MARGIN, y + rowH - 4)
      .lineTo(MARGIN + w, y + rowH - 4)
      .lineWidth(0.5)
      .stroke(RULE);
    pdf.y = y + rowH;
  };
  ensureSpace(pdf, rowH * 3);
  headerRow();
  if (!rows.length) {
    pdf.font("Body").fontSize(9).fillColor(MUTED).text("Nothing ran in this period.", MARGIN, pdf.y, { width: w });
    return;
  }
  for (const r of rows.slice(0, MAX_TABLE_ROWS)) {
    if (pdf.y + rowH > pdf.page.height - pdf.page.margins.bottom) {
      pdf.addPage();
      headerRow();
    }
    const y = pdf.y;
    pdf
      .font("Body")
      .fontSize(8.5)
      .fillColor(INK)
      .text(cleanText(r.label), MARGIN, y, { width: labelW - 6, lineBreak: false, ellipsis: true });
    TABLE_METRICS.forEach((m, i) =>
      pdf.text(formatMetric(m, r.metrics[m], g.currency), MARGIN + labelW + i * numW, y, { width: numW, align: "right", lineBreak: false }),
    );
    pdf.y = y + rowH;
  }
  if (rows.length > MAX_TABLE_ROWS) {
    pdf
      .font("Body")
      .fontSize(8)
      .fillColor(MUTED)
      .text(`and ${rows.length - MAX_TABLE_ROWS} more (all of them on the web report)`, MARGIN, pdf.y, { width: w });
  }
  pdf.x = MARGIN;
}

function commentary(pdf: Doc, doc: ReportDocument) {
  const text = cleanText(doc.commentary).trim();
  if (!text) return;
  sectionTitle(pdf, doc, "Commentary", null, false);
  pdf
    .font("Body")
    .fontSize(10)
    .fillColor(INK)
    .text(text, MARGIN, pdf.y, { width: contentWidth(pdf), lineGap: 2 });
}

function footers(pdf: Doc, doc: ReportDocument) {
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const y = pdf.page.height - MARGIN;
    const w = contentWidth(pdf);
    // writing inside the bottom margin must not trigger pdfkit's automatic page break
    const bottom = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    pdf.font("Body").fontSize(8).fillColor(MUTED);
    const left = `${cleanText(doc.branding.displayName)}${doc.branding.poweredBy ? " · Powered by Spendlane" : ""}`;
    pdf.text(left, MARGIN, y, { width: w * 0.7, lineBreak: false });
    pdf.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN + w * 0.7, y, { width: w * 0.3, align: "right", lineBreak: false });
    pdf.page.margins.bottom = bottom;
  }
}
