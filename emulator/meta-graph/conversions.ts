/**
 * Purchase action types in priority order. A conversion count (or value) is the value of the FIRST of these
 * action types present in an `actions` (or `action_values`) list. They overlap (one purchase is reported under
 * several of them at once), so they must never be summed.
 */
export const CONVERSION_ACTION_PRIORITY = ["offsite_conversion.fb_pixel_purchase", "omni_purchase", "purchase", "onsite_web_purchase"] as const;

export type ConversionActionType = (typeof CONVERSION_ACTION_PRIORITY)[number];

/** Picks the first action type of CONVERSION_ACTION_PRIORITY present in the list; returns its value (string) or undefined. */
export function pickConversion(list: ReadonlyArray<{ action_type: string; value: string }> | undefined): string | undefined {
  if (!list) return undefined;
  for (const t of CONVERSION_ACTION_PRIORITY) {
    const hit = list.find((a) => a.action_type === t);
    if (hit) return hit.value;
  }
  return undefined;
}
