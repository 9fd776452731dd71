/**
 * Conversion credit per attribution window (reference §0.1 and §3.1).
 *
 * Every campaign × platform × day's purchases are split, once and deterministically, into how they
 * were credited: click-through within 1, 7 or 28 days, view-through within 1 day, engaged view within
 * 1 day. The windows nest (1d_click ≤ 7d_click ≤ 28d_click), a setting's count is the sum of its
 * windows (click and view credit never overlap: a converter who clicked is credited to the click),
 * and the model's `purchases` is the count under Meta's default setting ["7d_click","1d_view"].
 *
 * Since 2026-01-12 Meta returns no data for `7d_view` and `28d_view`: the emulator accepts them as
 * parameters and returns no key for them. Each ad account has an attribution setting (its ad sets'),
 * which decides the `value` of conversion actions when no window is asked for.
 */

/** Windows that still return data. */
export const AVAILABLE_WINDOWS = ["1d_click", "7d_click", "28d_click", "1d_view", "1d_ev"] as const;
export type Window = (typeof AVAILABLE_WINDOWS)[number];
/** Windows Meta stopped returning on 2026-01-12. */
export const REMOVED_WINDOWS = ["7d_view", "28d_view"] as const;
/** Meta's default setting. */
export const DEFAULT_SETTING: Window[] = ["7d_click", "1d_view"];

/** Counts (and values, minor units) per window of one unit or a total. */
export interface Credit {
  c1: number;
  c7: number;
  c28: number;
  v1: number;
  ev1: number;
  /** values in minor units, same keys */
  c1Value: number;
  c7Value: number;
  c28Value: number;
  v1Value: number;
  ev1Value: number;
}

export const ZERO_CREDIT = (): Credit => ({ c1: 0, c7: 0, c28: 0, v1: 0, ev1: 0, c1Value: 0, c7Value: 0, c28Value: 0, v1Value: 0, ev1Value: 0 });

/**
 * Splits `purchases` (credited under 7d_click + 1d_view) of one unit. `rand` gives the unit's fixed
 * rounding thresholds (four draws), so the split is reproducible for any range.
 */
export function splitCredit(purchases: number, value: number, rand: () => number): Credit {
  if (purchases <= 0) return ZERO_CREDIT();
  const v1 = Math.min(purchases, Math.floor(purchases * 0.18 + rand()));
  const c7 = purchases - v1;
  const c1 = Math.min(c7, Math.floor(c7 * 0.75 + rand()));
  const c28 = c7 + Math.floor(c7 * 0.12 + rand());
  const ev1 = Math.floor(purchases * 0.04 + rand());
  // a window's value follows its count (average order value of the unit)
  const val = (n: number) => Math.round((value * n) / purchases);
  return { c1, c7, c28, v1, ev1, c1Value: val(c1), c7Value: val(c7), c28Value: val(c28), v1Value: val(v1), ev1Value: val(ev1) };
}

export function addCredit(t: Credit, u: Credit): void {
  t.c1 += u.c1;
  t.c7 += u.c7;
  t.c28 += u.c28;
  t.v1 += u.v1;
  t.ev1 += u.ev1;
  t.c1Value += u.c1Value;
  t.c7Value += u.c7Value;
  t.c28Value += u.c28Value;
  t.v1Value += u.v1Value;
  t.ev1Value += u.ev1Value;
}

const KEY: Record<Window, keyof Credit> = { "1d_click": "c1", "7d_click": "c7", "28d_click": "c28", "1d_view": "v1", "1d_ev": "ev1" };

export function isAvailable(w: string): w is Window {
  return (AVAILABLE_WINDOWS as readonly string[]).includes(w);
}

/** Count (or value, `value: true`) credited to one window; null for removed or unknown windows. */
export function windowAmount(c: Credit, w: string, value = false): number | null {
  if (!isAvailable(w)) return null;
  const k = KEY[w];
  return (value ? c[`${k}Value` as keyof Credit] : c[k]) as number;
}

/** Count (or value) under a setting: the sum of its windows. */
export function settingAmount(c: Credit, setting: readonly string[], value = false): number {
  let n = 0;
  for (const w of setting) n += windowAmount(c, w, value) ?? 0;
  return n;
}

/** Meta's `attribution_setting` text for a setting, e.g. "7d_click_1d_view". */
export function settingName(setting: readonly string[]): string {
  return setting.join("_");
}

/** Parses a window list (truth endpoint): comma separated, only available windows. */
export function parseSetting(text: string): Window[] {
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) throw new Error("window must list at least one attribution window");
  for (const w of list) if (!isAvailable(w)) throw new Error(`window ${w} is not available (one of ${AVAILABLE_WINDOWS.join(", ")})`);
  return list as Window[];
}
