/**
 * The sections a report template can hold, in the order the agency picks. The list is data, not a
 * database enum: a new kind (ad sets, top ads, audience breakdowns as the reporting module gains them)
 * is one entry here plus a renderer per output (pdf.ts, the web report, the email's headline).
 */
import { z } from "zod";

export const SECTION_KINDS = ["kpis", "daily_chart", "campaigns", "platforms", "commentary"] as const;
export type SectionKind = (typeof SECTION_KINDS)[number];

export const SECTION_LABELS: Record<SectionKind, string> = {
  kpis: "Headline KPIs with comparison",
  daily_chart: "Daily spend and conversions chart",
  campaigns: "Campaign table",
  platforms: "Platform split",
  commentary: "Commentary",
};

export const DEFAULT_SECTIONS: SectionKind[] = ["kpis", "commentary", "daily_chart", "campaigns", "platforms"];

/** Stored sections: known kinds, each at most once, at least one. */
export const sectionsSchema = z
  .array(z.enum(SECTION_KINDS, { error: "Unknown section" }))
  .min(1, "Pick at least one section")
  .max(20)
  .refine((s) => new Set(s).size === s.length, "A section appears twice");

/** Reads stored sections leniently: kinds this version does not know are skipped, not fatal. */
export function readSections(value: unknown): SectionKind[] {
  if (!Array.isArray(value)) return DEFAULT_SECTIONS;
  const known = value.filter((v): v is SectionKind => (SECTION_KINDS as readonly string[]).includes(v as string));
  return known.length ? [...new Set(known)] : DEFAULT_SECTIONS;
}

/** The headline KPIs in emails, PDFs and the web report (the acceptance figures plus CTR and value). */
export const HEADLINE_METRICS = ["spend", "impressions", "clicks", "ctr", "conversions", "cpa", "conversion_value", "roas"] as const;
/** Columns of the campaign and platform tables. */
export const TABLE_METRICS = ["spend", "impressions", "clicks", "conversions", "cpa", "roas"] as const;
