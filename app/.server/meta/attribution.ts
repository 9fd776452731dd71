/**
 * Attribution windows for conversions (reference §0.1, §3.1): which windows a workspace may choose,
 * how a choice is sent to Meta, and how a conversion count is read from Meta's AdsActionStats under
 * that choice. Runtime-agnostic (no Node APIs, no database): the sync core, the Deno edge function,
 * reporting and the routes share it, and fact tables other than campaign facts reuse it as is.
 *
 * - Since 2026-01-12 Meta returns no data for `7d_view` and `28d_view`; they are never offered.
 * - A choice is one click window (1, 7 or 28 days) and/or 1-day view, optionally with 1-day engaged
 *   view: the combinations of Meta's attribution settings. Its count is the SUM of its windows' keys
 *   (Meta credits a conversion to the click when there was one, so click and view credit never
 *   overlap).
 * - "The ad account's own setting" (choice null) sends no windows and takes Meta's `value`, recording
 *   the row's `attribution_setting`.
 * - Every fact row records the attribution it was fetched with (`AttributionKey`, e.g.
 *   "7d_click,1d_view"); totals are only formed over rows with one key (Meta itself returns no
 *   metrics when aggregating across attribution settings).
 */
import { CONVERSION_ACTION_PRIORITY, type ActionStat } from "./actions";
import { MetaDataError } from "./errors";

export const ATTRIBUTION_WINDOWS = ["1d_click", "7d_click", "28d_click", "1d_view", "1d_ev"] as const;
export type AttributionWindow = (typeof ATTRIBUTION_WINDOWS)[number];
/** Windows Meta stopped returning on 2026-01-12. */
export const REMOVED_WINDOWS = ["7d_view", "28d_view"] as const;
/** Meta's default attribution setting. */
export const META_DEFAULT_WINDOWS: AttributionWindow[] = ["7d_click", "1d_view"];

/** A workspace's choice: explicit windows, or null for each ad account's own setting. */
export type AttributionChoice = AttributionWindow[] | null;
/** What a fact row records: canonical comma list ("7d_click,1d_view"), or Meta's text when unparseable ("mixed"). */
export type AttributionKey = string;

const CLICK = ["1d_click", "7d_click", "28d_click"];
const LABELS: Record<AttributionWindow, string> = {
  "1d_click": "1-day click",
  "7d_click": "7-day click",
  "28d_click": "28-day click",
  "1d_view": "1-day view",
  "1d_ev": "1-day engaged view",
};

/** The choices offered in workspace settings, in display order ("" = the ad account's own setting). */
export const ATTRIBUTION_OPTIONS: { value: string; label: string }[] = [
  { value: "", label: "Each ad account's own setting (recommended)" },
  ...[
    "7d_click,1d_view",
    "1d_click,1d_view",
    "28d_click,1d_view",
    "7d_click",
    "1d_click",
    "28d_click",
    "1d_view",
    "7d_click,1d_view,1d_ev",
    "1d_click,1d_view,1d_ev",
  ].map((value) => ({
    value,
    label: attributionLabel(value),
  })),
];

function isWindow(w: string): w is AttributionWindow {
  return (ATTRIBUTION_WINDOWS as readonly string[]).includes(w);
}

/** Canonical order: the click window, then 1d_view, then 1d_ev. */
function canonical(ws: AttributionWindow[]): AttributionWindow[] {
  return [...new Set(ws)].sort((a, b) => ATTRIBUTION_WINDOWS.indexOf(a) - ATTRIBUTION_WINDOWS.indexOf(b));
}

/**
 * Parses a choice ("7d_click,1d_view", a list, "" or null for the account's setting). Throws an Error
 * whose message can be shown to people for removed windows, unknown windows or two click windows.
 */
export function parseAttributionChoice(input: string | readonly string[] | null | undefined): AttributionChoice {
  if (input == null) return null;
  const list = (typeof input === "string" ? input.split(",") : [...input]).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return null;
  for (const w of list) {
    if ((REMOVED_WINDOWS as readonly string[]).includes(w)) throw new Error(`Meta no longer reports the ${w} window (removed on 2026-01-12)`);
    if (!isWindow(w)) throw new Error(`Unknown attribution window ${JSON.stringify(w).slice(0, 30)}`);
  }
  const ws = canonical(list as AttributionWindow[]);
  if (ws.filter((w) => CLICK.includes(w)).length > 1) throw new Error("Choose one click window (1, 7 or 28 days)");
  if (ws.length === 1 && ws[0] === "1d_ev") throw new Error("1-day engaged view goes together with a click or view window");
  return ws;
}

/** The key a fact row records for a choice; for the account's own setting, from Meta's `attribution_setting`. */
export function attributionKey(choice: AttributionChoice, metaSetting?: string | null): AttributionKey {
  if (choice) return choice.join(",");
  return keyFromMetaSetting(metaSetting);
}

/** "7d_click_1d_view" (Meta's attribution_setting text) -> "7d_click,1d_view"; anything else kept ("mixed"). */
export function keyFromMetaSetting(setting: string | null | undefined): AttributionKey {
  if (!setting) return "account_default";
  const found = setting.match(/\d+d_(?:click|view|ev)/g);
  if (!found || found.join("_") !== setting) return setting.slice(0, 60);
  const ws = found.filter(isWindow);
  return ws.length === found.length ? canonical(ws).join(",") : setting.slice(0, 60);
}

/** "7d_click,1d_view" -> "7-day click or 1-day view"; unknown keys are shown as they are. */
export function attributionLabel(key: AttributionKey): string {
  if (key === "account_default") return "the ad account's own setting";
  if (key === "mixed") return "mixed attribution settings";
  const parts = key.split(",");
  return parts.every(isWindow) ? parts.map((w) => LABELS[w as AttributionWindow]).join(" or ") : key;
}

/** Extra insights parameters for a choice: the windows, or the field that names the account's setting. */
export function insightsAttributionParams(choice: AttributionChoice): { action_attribution_windows?: string[]; extraFields: string[] } {
  return choice ? { action_attribution_windows: [...choice], extraFields: [] } : { extraFields: ["attribution_setting"] };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Exact sum of decimal strings (no floats: money stays exact). */
export function addDecimals(values: readonly string[]): string {
  let scale = 0;
  for (const v of values) {
    if (!DECIMAL.test(v)) throw new MetaDataError(`Meta sent a non-numeric attribution value: ${JSON.stringify(v).slice(0, 40)}`);
    scale = Math.max(scale, v.split(".")[1]?.length ?? 0);
  }
  let total = 0n;
  for (const v of values) {
    const [i, f = ""] = v.replace("-", "").split(".");
    const n = BigInt(i! + f.padEnd(scale, "0"));
    total += v.startsWith("-") ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, "0");
  const out = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${out}` : out;
}

/** The amount of one stat under a choice: the sum of its window keys, or Meta's `value` for the account's setting. */
export function statUnder(stat: ActionStat, choice: AttributionChoice): string {
  if (!choice) return String(stat.value);
  return addDecimals(choice.map((w) => (stat[w] === undefined ? "0" : String(stat[w]))));
}

function pick(list: ReadonlyArray<ActionStat> | null | undefined): ActionStat | null {
  if (!list) return null;
  for (const type of CONVERSION_ACTION_PRIORITY) {
    const hit = list.find((a) => a.action_type === type);
    if (hit) return hit;
  }
  return null;
}

/**
 * Conversions and their value of one insights row under a choice (the action type by the priority
 * list of actions.ts, never summed across types), as exact decimal strings. The value is the counted
 * type's, under the same windows (ADR 0130): no count, no value.
 */
export function conversionsUnder(
  actions: ReadonlyArray<ActionStat> | null | undefined,
  actionValues: ReadonlyArray<ActionStat> | null | undefined,
  choice: AttributionChoice,
): { conversions: string; conversionValue: string } {
  const c = pick(actions);
  if (!c) return { conversions: "0", conversionValue: "0" };
  const v = actionValues?.find((a) => a.action_type === c.action_type);
  return { conversions: statUnder(c, choice), conversionValue: v ? statUnder(v, choice) : "0" };
}
