/** What the agency layout's billing banner shows (staff only; client viewers never see billing). */
import { differenceInCalendarDays } from "date-fns";
import { asUser } from "../db/connection";
import { getAgencyLimits } from "./limits";

export interface BillingBannerState {
  kind: "past_due" | "read_only" | "trial_ending";
  message: string;
  /** ISO date the state changes (grace or trial end), when there is one */
  until: string | null;
}

/** Trials show a reminder in their last days. */
const TRIAL_REMINDER_DAYS = 3;

export async function getBillingBanner(userId: string, agencyId: string, now = new Date()): Promise<BillingBannerState | null> {
  const { limits, trialEndsAt } = await asUser(userId, async (tx) => {
    const [row] = await tx<{ trial_ends_at: Date | null }[]>`select trial_ends_at from public.agencies where id = ${agencyId}`;
    return { limits: await getAgencyLimits(tx, agencyId, now), trialEndsAt: row?.trial_ends_at ?? null };
  });
  if (!limits.billingEnabled) return null;
  if (limits.readOnly) {
    return {
      kind: "read_only",
      message: "This agency is read-only: syncing is paused and nothing can be changed. All data is kept; subscribe to continue.",
      until: null,
    };
  }
  if (limits.status === "past_due" && limits.graceEndsAt) {
    const days = Math.max(0, differenceInCalendarDays(limits.graceEndsAt, now));
    return {
      kind: "past_due",
      message: `The last payment failed. Update your payment method within ${days} day${days === 1 ? "" : "s"} or the agency becomes read-only.`,
      until: limits.graceEndsAt.toISOString(),
    };
  }
  if (limits.status === "trialing" && limits.planId === "trial" && trialEndsAt) {
    const days = differenceInCalendarDays(trialEndsAt, now);
    if (days <= TRIAL_REMINDER_DAYS) {
      return {
        kind: "trial_ending",
        message: `The trial ends in ${days} day${days === 1 ? "" : "s"}. Choose a plan to keep syncing.`,
        until: trialEndsAt.toISOString(),
      };
    }
  }
  return null;
}
