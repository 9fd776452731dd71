/** Insights query parsing: fields, breakdowns, windows, presets and ranges, as Meta validates them. */
import { GraphError, paramError, RANGE_37_MONTHS_MESSAGE } from "./errors";
import { addMonths, dayNum, fromYmd, weekday, ymd } from "./util";

export type Level = "account" | "campaign" | "adset" | "ad";
export interface Filter {
  field: string;
  operator: string;
  value: unknown;
}
export interface InsightsQuery {
  level: Level;
  fields: string[];
  ranges: Array<{ since: number; until: number }>;
  increment: "all_days" | "monthly" | number;
  breakdowns: string[];
  filters: Filter[];
  windows: string[];
}

export const INSIGHTS_FIELDS = new Set([
  "account_id",
  "account_name",
  "account_currency",
  "campaign_id",
  "campaign_name",
  "adset_id",
  "adset_name",
  "ad_id",
  "ad_name",
  "objective",
  "buying_type",
  "date_start",
  "date_stop",
  "spend",
  "impressions",
  "reach",
  "frequency",
  "clicks",
  "inline_link_clicks",
  "ctr",
  "cpc",
  "cpm",
  "cpp",
  "inline_link_click_ctr",
  "cost_per_inline_link_click",
  "actions",
  "action_values",
  "cost_per_action_type",
  "purchase_roas",
  "website_purchase_roas",
  "attribution_setting",
  "conversions",
]);
const BREAKDOWNS = new Set(["publisher_platform", "platform_position", "device_platform", "age", "gender", "country", "region"]);
const WINDOWS = new Set(["1d_view", "7d_view", "28d_view", "1d_click", "7d_click", "28d_click", "1d_ev", "dda", "default", "skan_view", "skan_click"]);
const PRESETS = new Set([
  "today",
  "yesterday",
  "this_month",
  "last_month",
  "this_quarter",
  "maximum",
  "data_maximum",
  "last_3d",
  "last_7d",
  "last_14d",
  "last_28d",
  "last_30d",
  "last_90d",
  "last_week_mon_sun",
  "last_week_sun_sat",
  "last_quarter",
  "last_year",
  "this_week_mon_today",
  "this_week_sun_today",
  "this_year",
]);

export function parseList(v: string | undefined): string[] {
  if (v == null || v === "") return [];
  const s = v.trim();
  if (s.startsWith("[")) {
    let arr: unknown;
    try {
      arr = JSON.parse(s);
    } catch {
      throw paramError(`Invalid parameter: could not parse list ${s.slice(0, 60)}`);
    }
    if (!Array.isArray(arr)) throw paramError("Invalid parameter: expected a list");
    return arr.map((x) => String(x).trim()).filter(Boolean);
  }
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

export function parseJson(v: string, name: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw paramError(`Param ${name} must be a valid JSON`);
  }
}

function parseRange(o: unknown, name: string): { since: number; until: number } {
  if (!o || typeof o !== "object") throw paramError(`Param ${name} must be an object with since and until`);
  const { since, until } = o as { since?: string; until?: string };
  const s = dayNum(String(since ?? ""));
  const u = dayNum(String(until ?? ""));
  if (Number.isNaN(s) || Number.isNaN(u)) throw paramError(`Param ${name} must contain since and until dates in YYYY-MM-DD format`);
  if (u < s) throw paramError("(#100) since must be less than or equal to until");
  return { since: s, until: u };
}

function quarterStart(day: number): number {
  const { y, m } = ymd(day);
  return fromYmd(y, Math.floor((m - 1) / 3) * 3 + 1, 1);
}

export function presetRange(preset: string, today: number, earliest: number): { since: number; until: number } {
  const { y, m } = ymd(today);
  const max37 = addMonths(today, -37);
  switch (preset) {
    case "today":
      return { since: today, until: today };
    case "yesterday":
      return { since: today - 1, until: today - 1 };
    case "this_month":
      return { since: fromYmd(y, m, 1), until: today };
    case "last_month": {
      const first = fromYmd(y, m, 1);
      const prev = addMonths(first, -1);
      return { since: prev, until: first - 1 };
    }
    case "this_quarter":
      return { since: quarterStart(today), until: today };
    case "last_quarter": {
      const qs = quarterStart(today);
      return { since: addMonths(qs, -3), until: qs - 1 };
    }
    case "this_year":
      return { since: fromYmd(y, 1, 1), until: today };
    case "last_year":
      return { since: fromYmd(y - 1, 1, 1), until: fromYmd(y - 1, 12, 31) };
    case "maximum":
    case "data_maximum":
      return { since: Math.min(today, Math.max(max37, earliest)), until: today };
    case "last_week_mon_sun": {
      const back = (weekday(today) + 6) % 7; // days since Monday
      const thisMon = today - back;
      return { since: thisMon - 7, until: thisMon - 1 };
    }
    case "last_week_sun_sat": {
      const thisSun = today - weekday(today);
      return { since: thisSun - 7, until: thisSun - 1 };
    }
    case "this_week_mon_today":
      return { since: today - ((weekday(today) + 6) % 7), until: today };
    case "this_week_sun_today":
      return { since: today - weekday(today), until: today };
    default: {
      const mm = /^last_(\d+)d$/.exec(preset);
      if (mm) {
        const n = Number(mm[1]);
        return { since: today - n, until: today - 1 };
      }
      throw paramError(`date_preset must be one of the following values: ${[...PRESETS].join(", ")}`);
    }
  }
}

export function parseInsightsQuery(params: Record<string, string>, defaultLevel: Level, today: number, earliest: number): InsightsQuery {
  const level = (params.level || defaultLevel) as Level;
  if (!["account", "campaign", "adset", "ad"].includes(level)) throw paramError("level must be one of the following values: ad, adset, campaign, account");
  const fields = parseList(params.fields);
  for (const f of fields)
    if (!INSIGHTS_FIELDS.has(f))
      throw paramError(
        `${f} is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values`,
      );
  const breakdowns = parseList(params.breakdowns);
  for (const b of breakdowns)
    if (!BREAKDOWNS.has(b)) throw paramError(`breakdowns[0] must be one of the following values: ${[...BREAKDOWNS].join(", ")} (emulator supports only these)`);
  const windows = parseList(params.action_attribution_windows);
  for (const w of windows)
    if (!WINDOWS.has(w)) throw paramError(`action_attribution_windows[0] must be one of the following values: ${[...WINDOWS].join(", ")}`);
  let filters: Filter[] = [];
  if (params.filtering) {
    const f = parseJson(params.filtering, "filtering");
    if (!Array.isArray(f)) throw paramError("Param filtering must be an array");
    filters = f.map((x) => {
      if (!x || typeof x !== "object" || !("field" in x) || !("operator" in x)) throw paramError("Filtering entries need field, operator and value");
      return x as Filter;
    });
  }
  let ranges: Array<{ since: number; until: number }>;
  const max37 = addMonths(today, -37);
  const check37 = (r: { since: number }) => {
    if (r.since < max37)
      throw new GraphError(400, {
        message: `(#3018) ${RANGE_37_MONTHS_MESSAGE}`,
        type: "OAuthException",
        code: 100,
        error_subcode: 3018,
        error_user_title: "Invalid time range",
        error_user_msg: RANGE_37_MONTHS_MESSAGE,
      });
  };
  if (params.time_ranges) {
    const tr = parseJson(params.time_ranges, "time_ranges");
    if (!Array.isArray(tr) || tr.length === 0) throw paramError("Param time_ranges must be a non-empty array");
    ranges = tr.map((x) => parseRange(x, "time_ranges"));
    ranges.forEach(check37);
  } else if (params.time_range) {
    ranges = [parseRange(parseJson(params.time_range, "time_range"), "time_range")];
    ranges.forEach(check37);
  } else {
    const preset = params.date_preset || "last_30d";
    if (!PRESETS.has(preset) && !/^last_\d+d$/.test(preset)) throw paramError(`date_preset must be one of the following values: ${[...PRESETS].join(", ")}`);
    ranges = [presetRange(preset, today, earliest)];
  }
  let increment: InsightsQuery["increment"] = "all_days";
  if (params.time_increment && !params.time_ranges) {
    const ti = params.time_increment;
    if (ti === "monthly" || ti === "all_days") increment = ti;
    else if (/^\d+$/.test(ti) && Number(ti) >= 1 && Number(ti) <= 90) increment = Number(ti);
    else throw paramError("time_increment must be an integer between 1 and 90, 'monthly' or 'all_days'");
  }
  return { level, fields, ranges, increment, breakdowns, filters, windows };
}

export function buckets(r: { since: number; until: number }, inc: InsightsQuery["increment"]): Array<{ since: number; until: number }> {
  if (inc === "all_days") return [r];
  const out: Array<{ since: number; until: number }> = [];
  if (inc === "monthly") {
    let s = r.since;
    while (s <= r.until) {
      const { y, m } = ymd(s);
      const end = Math.min(r.until, fromYmd(y, m + 1, 1) - 1);
      out.push({ since: s, until: end });
      s = end + 1;
    }
    return out;
  }
  for (let s = r.since; s <= r.until; s += inc) out.push({ since: s, until: Math.min(r.until, s + inc - 1) });
  return out;
}
