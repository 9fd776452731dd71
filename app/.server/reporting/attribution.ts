/**
 * Which attribution windows a report's conversions use (ADR 0071). A total is only formed over ad
 * accounts whose stored conversions share one attribution; otherwise it is withheld and the page says
 * why, as Meta itself returns no metrics when aggregating across attribution settings.
 */
import { attributionLabel } from "../meta/attribution";

export interface ReportAttribution {
  /** the one attribution of the rows ("7d_click,1d_view"), null when mixed or without data */
  key: string | null;
  /** windows of `key` as a list (what the CLI prints), null like key */
  windows: string[] | null;
  /** for people: "7-day click or 1-day view" */
  label: string | null;
  /** the accounts' conversions use different windows (or one account is mid re-sync): totals withheld */
  mixed: boolean;
}

/** The attribution of a set of accounts' stored conversions (accounts without facts do not count). */
export function reportAttribution(accounts: ReadonlyArray<{ conversions_attribution: string | null }>): ReportAttribution {
  const keys = new Set(accounts.map((a) => a.conversions_attribution).filter((k): k is string => !!k));
  const mixed = keys.has("mixed") || keys.size > 1;
  const key = !mixed && keys.size === 1 ? [...keys][0]! : null;
  const windows = key && /^\d+d_(click|view|ev)(,\d+d_(click|view|ev))*$/.test(key) ? key.split(",") : null;
  return { key, windows, label: key ? attributionLabel(key) : mixed ? "different attribution windows" : null, mixed };
}

/**
 * For the agency overview: the attribution of each client × currency and of each currency across all
 * listed clients, from the ad accounts' stored state (one small query under the caller's RLS).
 */
export async function overviewAttribution(
  tx: import("../db/connection").Tx,
  agencyId: string,
  workspaceIds: string[],
): Promise<{ line(workspaceId: string, currency: string): ReportAttribution; total(currency: string): ReportAttribution }> {
  const rows = await tx<{ workspace_id: string; currency: string; conversions_attribution: string | null }[]>`
    select workspace_id, currency, conversions_attribution from public.ad_accounts
    where agency_id = ${agencyId} and workspace_id = any(${workspaceIds}::uuid[])`;
  return {
    line: (ws, cur) => reportAttribution(rows.filter((r) => r.workspace_id === ws && r.currency === cur)),
    total: (cur) => reportAttribution(rows.filter((r) => r.currency === cur)),
  };
}
