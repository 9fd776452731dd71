import { Aggregator, DataModel, NowCtx, Totals } from "./data";
import { AdAccount, Campaign, PLATFORMS } from "./world";
import { paramError } from "./errors";
import { addMonths, dayStr, fmt6, moneyMeta } from "./util";
import { CONVERSION_ACTION_PRIORITY } from "./conversions";
import { settingAmount, settingName, windowAmount, type Credit } from "./attribution";
import { Filter, InsightsQuery, buckets } from "./insights-query";

// Query parsing lives in insights-query.ts; re-exported so the emulator's modules keep one import.
export * from "./insights-query";

export const HIDDEN = new Set(["ARCHIVED", "DELETED"]);
/** Reach-type fields left out of breakdown queries that start more than this many months back. */
export const REACH_BREAKDOWN_MONTHS = 13;
const REACH_FIELDS = new Set(["reach", "frequency", "cpp"]);
const STATUS_FIELDS = new Set(["campaign.effective_status", "adset.effective_status", "ad.effective_status", "effective_status", "campaign.status"]);
const METRIC_FILTER_FIELDS = new Set(["spend", "impressions", "clicks", "reach", "inline_link_clicks", "ctr", "cpc", "cpm", "frequency"]);

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string" && v.startsWith("[")) {
    try {
      return (JSON.parse(v) as unknown[]).map(String);
    } catch {
      /* fall through */
    }
  }
  return [String(v)];
}

export function matchOp(op: string, actual: string | number, value: unknown): boolean {
  const O = op.toUpperCase();
  const a = String(actual);
  switch (O) {
    case "EQUAL":
      return a === String(value);
    case "NOT_EQUAL":
      return a !== String(value);
    case "IN":
    case "ANY":
      return asList(value).includes(a);
    case "NOT_IN":
    case "NONE":
      return !asList(value).includes(a);
    case "CONTAIN":
      return a.toLowerCase().includes(String(value).toLowerCase());
    case "NOT_CONTAIN":
      return !a.toLowerCase().includes(String(value).toLowerCase());
    case "STARTS_WITH":
      return a.toLowerCase().startsWith(String(value).toLowerCase());
    case "GREATER_THAN":
      return Number(actual) > Number(value);
    case "GREATER_THAN_OR_EQUAL":
      return Number(actual) >= Number(value);
    case "LESS_THAN":
      return Number(actual) < Number(value);
    case "LESS_THAN_OR_EQUAL":
      return Number(actual) <= Number(value);
    case "IN_RANGE": {
      const [lo, hi] = asList(value).map(Number);
      return Number(actual) >= lo! && Number(actual) <= hi!;
    }
    default:
      throw paramError(`Filtering operator ${op} is not supported`);
  }
}

export interface InsightsOptions {
  /** Hide ARCHIVED/DELETED campaigns at campaign/adset/ad level unless a status filter asks for them. */
  hideArchivedInInsights: boolean;
  /** Leave out rows with zero impressions and zero spend (UNCONFIRMED upstream rule). */
  omitZeroRows?: boolean;
  /** An async job within the account's daily quota may return reach for old breakdown queries. */
  allowOldBreakdownReach?: boolean;
}

/** Async jobs per ad account and day that may still return reach for old breakdown queries. */
export const OLD_REACH_ASYNC_PER_DAY = 10;

/**
 * True when the query has breakdowns and starts more than 13 months back: Meta omits reach,
 * frequency and cpp from it (since 2025-06-10), except for async jobs within a daily quota.
 */
export function isOldBreakdownReach(q: InsightsQuery, today: number): boolean {
  return q.breakdowns.length > 0 && Math.min(...q.ranges.map((r) => r.since)) < addMonths(today, -REACH_BREAKDOWN_MONTHS);
}

/** Computes all result rows (unpaged). */
export function runInsights(
  model: DataModel,
  acct: AdAccount,
  scopeCampaign: Campaign | null,
  q: InsightsQuery,
  now: NowCtx,
  opts: InsightsOptions,
): Array<Record<string, unknown>> {
  let campaigns = scopeCampaign ? [scopeCampaign] : acct.campaigns;
  const platformFilters: Filter[] = [];
  let statusFiltered = false;
  const metricFilters: Filter[] = [];
  for (const f of q.filters) {
    const field = String(f.field);
    if (STATUS_FIELDS.has(field)) {
      statusFiltered = true;
      campaigns = campaigns.filter((c) => matchOp(f.operator, c.status, f.value));
    } else if (field === "campaign.id") {
      campaigns = campaigns.filter((c) => matchOp(f.operator, c.id, f.value));
    } else if (field === "campaign.name") {
      campaigns = campaigns.filter((c) => matchOp(f.operator, c.name, f.value));
    } else if (field === "campaign.objective" || field === "objective") {
      campaigns = campaigns.filter((c) => matchOp(f.operator, c.objective, f.value));
    } else if (field === "publisher_platform") {
      platformFilters.push(f);
    } else if (METRIC_FILTER_FIELDS.has(field)) {
      metricFilters.push(f);
    } else {
      throw paramError(
        `Filtering field ${field} is invalid. Please refer to https://developers.facebook.com/docs/marketing-api/insights/parameters for the list of valid filtering fields`,
      );
    }
  }
  const hideArchived = opts.hideArchivedInInsights && !statusFiltered && q.level !== "account" && !scopeCampaign;
  if (hideArchived) campaigns = campaigns.filter((c) => !HIDDEN.has(c.status));
  const byPlatform = q.breakdowns.includes("publisher_platform");
  // Since 2025-06-10 queries with breakdowns whose start is more than 13 months back omit reach,
  // frequency and cpp (Meta's insights best practices; reference §3.6).
  const omitReach = isOldBreakdownReach(q, now.today) && !opts.allowOldBreakdownReach;
  const platformIdx = PLATFORMS.map((_, i) => i).filter((i) => platformFilters.every((f) => matchOp(f.operator, PLATFORMS[i]!, f.value)));
  const entities: Array<{ camps: Campaign[]; c: Campaign | null }> =
    q.level === "account" ? [{ camps: campaigns, c: null }] : campaigns.map((c) => ({ camps: [c], c }));
  const fields = q.fields.length ? q.fields : ["impressions", "spend"];
  const rows: Array<Record<string, unknown>> = [];
  for (const range of q.ranges) {
    for (const b of buckets(range, q.increment)) {
      for (const ent of entities) {
        const groups = byPlatform ? platformIdx.map((p) => [p]) : [platformIdx];
        for (const g of groups) {
          const agg = new Aggregator(acct);
          for (const c of ent.camps)
            for (const pi of g)
              for (let d = b.since; d <= Math.min(b.until, now.today); d++) {
                const v = model.unit(c, pi, d, now);
                if (v) agg.add(c, v);
              }
          // activity might exist in the future relative to today? (ignored: activity counts only up to today)
          const t = agg.finish();
          if (t.impressions === 0 && t.spend === 0 && opts.omitZeroRows !== false) continue;
          const row = buildRow(acct, ent.c, q, omitReach ? fields.filter((f) => !REACH_FIELDS.has(f)) : fields, t, b, byPlatform ? PLATFORMS[g[0]!]! : null);
          if (metricFilters.length && !metricFilters.every((f) => matchOp(f.operator, Number(row[f.field] ?? metricValue(acct, t, f.field)), f.value)))
            continue;
          rows.push(row);
        }
      }
    }
  }
  return rows;
}

function metricValue(acct: AdAccount, t: Totals, f: string): number {
  const spend = t.spend / acct.offset;
  switch (f) {
    case "spend":
      return spend;
    case "impressions":
      return t.impressions;
    case "clicks":
      return t.clicks;
    case "reach":
      return t.reach;
    case "inline_link_clicks":
      return t.link;
    case "ctr":
      return t.impressions ? (t.clicks / t.impressions) * 100 : 0;
    case "cpc":
      return t.clicks ? spend / t.clicks : 0;
    case "cpm":
      return t.impressions ? (spend / t.impressions) * 1000 : 0;
    case "frequency":
      return t.reach ? t.impressions / t.reach : 0;
  }
  return 0;
}

/** Action types and counts of a total; purchases are `purchases` (the count under the row's attribution setting). */
export function actionList(t: Totals, purchases: number = t.purchases): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const push = (k: string, v: number) => {
    if (v > 0) out.push([k, v]);
  };
  push("link_click", t.link);
  push("landing_page_view", t.lpv);
  push("post_engagement", t.engagement);
  push("page_engagement", t.engagement);
  push("offsite_conversion.fb_pixel_add_to_cart", t.addToCart);
  push("add_to_cart", t.addToCart);
  push("omni_add_to_cart", t.addToCart);
  push("offsite_conversion.fb_pixel_lead", t.leads);
  push("lead", t.leads);
  push("omni_lead", t.leads);
  for (const k of CONVERSION_ACTION_PRIORITY) push(k, purchases);
  return out;
}

const PURCHASE_TYPES = new Set<string>(CONVERSION_ACTION_PRIORITY);

/**
 * One AdsActionStats entry. Purchase types carry one key per requested window that still returns data
 * (removed windows such as 7d_view and 28d_view get no key; `default` is the `value` itself); other
 * action types carry only `value`.
 */
function stat(type: string, value: string, credit: Credit, windows: string[], fmt: (n: number) => string, money: boolean): Record<string, string> {
  const o: Record<string, string> = { action_type: type, value };
  if (!PURCHASE_TYPES.has(type)) return o;
  for (const w of windows) {
    const x = windowAmount(credit, w, money);
    if (x != null) o[w] = fmt(x);
  }
  return o;
}

export function buildRow(
  acct: AdAccount,
  c: Campaign | null,
  q: InsightsQuery,
  fields: string[],
  t: Totals & { credit: Credit },
  b: { since: number; until: number },
  platform: string | null,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const spendMajor = t.spend / acct.offset;
  // conversion actions count under the account's attribution setting (its ad sets')
  const purchases = settingAmount(t.credit, acct.attributionSetting);
  const purchaseValue = settingAmount(t.credit, acct.attributionSetting, true);
  const money = (minor: number) => moneyMeta(minor, acct.offset);
  for (const f of fields) {
    switch (f) {
      case "account_id":
        row.account_id = acct.accountId;
        break;
      case "account_name":
        row.account_name = acct.name;
        break;
      case "account_currency":
        row.account_currency = acct.currency;
        break;
      case "campaign_id":
      case "campaign_name":
      case "adset_id":
      case "adset_name":
      case "ad_id":
      case "ad_name":
      case "objective":
      case "buying_type": {
        if (!c) break; // not available at account level
        const v: Record<string, string> = {
          campaign_id: c.id,
          campaign_name: c.name,
          adset_id: `23${c.id.slice(2)}`,
          adset_name: `${c.name} – Ad set`,
          ad_id: `24${c.id.slice(2)}`,
          ad_name: `${c.name} – Ad`,
          objective: c.objective,
          buying_type: "AUCTION",
        };
        if ((f.startsWith("adset") && q.level === "campaign") || (f.startsWith("ad_") && q.level !== "ad")) break;
        row[f] = v[f];
        break;
      }
      case "spend":
        row.spend = money(t.spend);
        break;
      case "impressions":
        row.impressions = String(t.impressions);
        break;
      case "reach":
        row.reach = String(t.reach);
        break;
      case "frequency":
        if (t.reach > 0) row.frequency = fmt6(t.impressions / t.reach);
        break;
      case "clicks":
        row.clicks = String(t.clicks);
        break;
      case "inline_link_clicks":
        row.inline_link_clicks = String(t.link);
        break;
      case "ctr":
        row.ctr = t.impressions > 0 ? fmt6((t.clicks / t.impressions) * 100) : "0";
        break;
      case "cpc":
        if (t.clicks > 0) row.cpc = fmt6(spendMajor / t.clicks);
        break;
      case "cpm":
        if (t.impressions > 0) row.cpm = fmt6((spendMajor / t.impressions) * 1000);
        break;
      case "cpp":
        if (t.reach > 0) row.cpp = fmt6((spendMajor / t.reach) * 1000);
        break;
      case "inline_link_click_ctr":
        row.inline_link_click_ctr = t.impressions > 0 ? fmt6((t.link / t.impressions) * 100) : "0";
        break;
      case "cost_per_inline_link_click":
        if (t.link > 0) row.cost_per_inline_link_click = fmt6(spendMajor / t.link);
        break;
      case "actions": {
        const l = actionList(t, purchases);
        if (l.length) row.actions = l.map(([k, v]) => stat(k, String(v), t.credit, q.windows, String, false));
        break;
      }
      case "conversions": {
        if (purchases > 0) row.conversions = CONVERSION_ACTION_PRIORITY.map((k) => stat(k, String(purchases), t.credit, q.windows, String, false));
        break;
      }
      case "action_values": {
        if (purchaseValue > 0) row.action_values = CONVERSION_ACTION_PRIORITY.map((k) => stat(k, money(purchaseValue), t.credit, q.windows, money, true));
        break;
      }
      case "cost_per_action_type": {
        const l = actionList(t, purchases);
        if (l.length && t.spend > 0) row.cost_per_action_type = l.map(([k, v]) => ({ action_type: k, value: fmt6(spendMajor / v) }));
        break;
      }
      case "purchase_roas":
        if (purchaseValue > 0 && t.spend > 0) row.purchase_roas = [{ action_type: "omni_purchase", value: fmt6(purchaseValue / t.spend) }];
        break;
      case "website_purchase_roas":
        if (purchaseValue > 0 && t.spend > 0)
          row.website_purchase_roas = [{ action_type: "offsite_conversion.fb_pixel_purchase", value: fmt6(purchaseValue / t.spend) }];
        break;
      case "attribution_setting":
        row.attribution_setting = settingName(acct.attributionSetting);
        break;
      case "date_start":
      case "date_stop":
        break;
    }
  }
  row.date_start = dayStr(b.since);
  row.date_stop = dayStr(b.until);
  if (platform) row.publisher_platform = platform;
  return row;
}

export function earliestDay(acct: AdAccount, c: Campaign | null): number {
  const cs = c ? [c] : acct.campaigns;
  return cs.length ? Math.min(...cs.map((x) => x.startDay)) : acct.createdDay;
}
