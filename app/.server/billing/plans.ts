/**
 * Plans and their Stripe prices. The limits themselves are reference data in public.plans (migration
 * 0040), because database triggers enforce them too; this module maps plans to the price ids that
 * come from the environment, and back (a webhook names a price, we need the plan).
 */
import { z } from "zod";
import type { Tx } from "../db/connection";
import { env } from "../env";

export const PURCHASABLE_PLAN_IDS = ["starter", "growth", "scale"] as const;
export type PurchasablePlanId = (typeof PURCHASABLE_PLAN_IDS)[number];
export const BILLING_INTERVALS = ["month", "year"] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

export const planChoiceSchema = z.object({
  planId: z.enum(PURCHASABLE_PLAN_IDS, { error: "Choose Starter, Growth or Scale" }),
  interval: z.enum(BILLING_INTERVALS, { error: "Choose monthly or yearly" }).default("month"),
});

export { TRIAL_DAYS } from "../../utils/trial";
/** Days a past_due agency keeps full access before it turns read-only. */
export const GRACE_DAYS = 7;

export interface Plan {
  id: string;
  name: string;
  clients: number | null;
  seats: number;
  refreshMinutes: number;
  purchasable: boolean;
}

export async function listPlans(tx: Tx): Promise<Plan[]> {
  return tx<Plan[]>`
    select id, name, clients, seats, refresh_minutes as "refreshMinutes", purchasable
    from public.plans order by sort_order`;
}

function priceTable(): Record<PurchasablePlanId, Record<BillingInterval, string | undefined>> {
  const e = env();
  return {
    starter: { month: e.STRIPE_PRICE_STARTER_MONTHLY, year: e.STRIPE_PRICE_STARTER_YEARLY },
    growth: { month: e.STRIPE_PRICE_GROWTH_MONTHLY, year: e.STRIPE_PRICE_GROWTH_YEARLY },
    scale: { month: e.STRIPE_PRICE_SCALE_MONTHLY, year: e.STRIPE_PRICE_SCALE_YEARLY },
  };
}

/** The configured Stripe price for a plan and interval, or undefined when not configured. */
export function priceIdFor(planId: PurchasablePlanId, interval: BillingInterval): string | undefined {
  return priceTable()[planId][interval];
}

/** Which plan (and interval) a Stripe price id belongs to; undefined for a price we do not sell. */
export function planForPriceId(priceId: string | null | undefined): { planId: PurchasablePlanId; interval: BillingInterval } | undefined {
  if (!priceId) return undefined;
  const table = priceTable();
  for (const planId of PURCHASABLE_PLAN_IDS) {
    for (const interval of BILLING_INTERVALS) {
      if (table[planId][interval] === priceId) return { planId, interval };
    }
  }
  return undefined;
}
