/**
 * Operator actions (CLI, service path): read an agency's plan and usage, and set the plan by hand on
 * installations without Stripe. With a Stripe subscription, Stripe is the source of truth and the
 * plan only changes through Checkout, the Portal and webhooks.
 */
import type { Tx } from "../db/connection";
import { InputError } from "../errors";
import { getAgencyLimits, getAgencyUsage } from "./limits";

export async function agencyBillingStatus(tx: Tx, agencyId: string) {
  const [limits, usage] = [await getAgencyLimits(tx, agencyId), await getAgencyUsage(tx, agencyId)];
  return { ...limits, usage };
}

export async function setPlanByOperator(tx: Tx, agencyId: string, planId: string) {
  const [plan] = await tx<{ id: string }[]>`select id from public.plans where id = ${planId}`;
  if (!plan) {
    const ids = (await tx<{ id: string }[]>`select id from public.plans order by sort_order`).map((p) => p.id);
    throw new InputError(`Unknown plan "${planId}"`, { plan: `one of ${ids.join(", ")}` });
  }
  const [agency] = await tx<{ plan_id: string; stripe_subscription_id: string | null }[]>`
    select plan_id, stripe_subscription_id from public.agencies where id = ${agencyId} for update`;
  if (agency.stripe_subscription_id) {
    throw new InputError("This agency pays through Stripe; change its plan in the Billing page or the Stripe dashboard", { plan: "managed by Stripe" });
  }
  // Existing clients and seats beyond a smaller plan are kept; only adding more is refused.
  await tx`update public.agencies set plan_id = ${planId}, subscription_status = case when ${planId}::text = 'trial' then 'trialing' else 'active' end
    where id = ${agencyId}`;
  await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, null, 'billing.plan_set_by_operator', ${tx.json({ from: agency.plan_id, to: planId })})`;
  return agencyBillingStatus(tx, agencyId);
}
