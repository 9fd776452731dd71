/**
 * Which Meta action types count as a conversion. Meta reports one purchase under several action types
 * at once (pixel, omni, purchase, onsite), so they overlap and must never be summed: the FIRST type
 * of this list present in a row's `actions` wins, and the value is that same type's (ADR 0130), so a
 * value never stands beside a count of another type, or beside no count at all.
 *
 * Runtime-agnostic (no Node APIs): the Deno edge function uses it through the sync core.
 */
import { MetaDataError } from "./errors";
export const CONVERSION_ACTION_PRIORITY = ["offsite_conversion.fb_pixel_purchase", "omni_purchase", "purchase", "onsite_web_purchase"] as const;

export type ConversionActionType = (typeof CONVERSION_ACTION_PRIORITY)[number];

/** One entry of Meta's `actions` / `action_values` lists (numbers arrive as decimal strings). */
export interface ActionStat {
  action_type: string;
  value: string;
  [window: string]: string | undefined;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

function pick(list: ReadonlyArray<ActionStat> | undefined | null): { type: ConversionActionType; value: string } | null {
  if (!list) return null;
  for (const type of CONVERSION_ACTION_PRIORITY) {
    const hit = list.find((a) => a.action_type === type);
    if (hit) {
      const value = String(hit.value);
      // Money and counts stay decimal strings end to end; anything else is a contract break, not data.
      if (!DECIMAL.test(value)) throw new MetaDataError(`Meta sent a non-numeric value for ${type}: ${JSON.stringify(value).slice(0, 40)}`);
      return { type, value };
    }
  }
  return null;
}

/**
 * Conversions and conversion value of one insights row, as exact decimal strings ("0" when none).
 * The type is chosen on the count; the value is the same type's entry of `action_values`.
 */
export function pickConversions(
  actions: ReadonlyArray<ActionStat> | undefined | null,
  actionValues: ReadonlyArray<ActionStat> | undefined | null,
): { conversions: string; conversionValue: string; actionType: ConversionActionType | null } {
  const c = pick(actions);
  if (!c) return { conversions: "0", conversionValue: "0", actionType: null };
  const v = pick(actionValues?.filter((a) => a.action_type === c.type));
  return { conversions: c.value, conversionValue: v?.value ?? "0", actionType: c.type };
}
