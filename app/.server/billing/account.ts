/**
 * What the billing page needs: the overview (plan, usage, status, next invoice), Checkout to
 * subscribe, and the Customer Portal to change plan, payment method and see invoices.
 *
 * Request path: reads run under asUser (the route has already required the owner role, and RLS
 * agrees); writing the Stripe customer id is a privileged column, so that one update uses asService.
 * No transaction is held open across a Stripe call.
 */
import type Stripe from "stripe";
import type { SessionUser } from "../auth/session";
import { asService, asUser } from "../db/connection";
import { InputError, NotFoundError, fieldErrors } from "../errors";
import { logger } from "../logger";
import { getAgencyLimits, getAgencyUsage, type AgencyLimits, type AgencyUsage } from "./limits";
import { listPlans, planChoiceSchema, priceIdFor, type Plan, type PurchasablePlanId } from "./plans";
import { callStripe, requireStripe, stripeClient, type PaymentProviderError } from "./stripe";

interface AgencyBilling {
  id: string;
  slug: string;
  name: string;
  subscription_status: string;
  trial_ends_at: Date | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  billing_interval: "month" | "year" | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
}

async function readAgency(userId: string, agencyId: string): Promise<AgencyBilling> {
  const [row] = await asUser(
    userId,
    (tx) => tx<AgencyBilling[]>`
    select id, slug, name, subscription_status, trial_ends_at, current_period_end, cancel_at_period_end, billing_interval,
           stripe_customer_id, stripe_subscription_id
    from public.agencies where id = ${agencyId}`,
  );
  if (!row) throw new NotFoundError("Agency not found");
  return row;
}

/** A subscription Stripe still bills (changes go through the Portal instead of a second Checkout). */
function hasLiveSubscription(a: AgencyBilling) {
  return Boolean(a.stripe_subscription_id) && ["active", "past_due", "trialing", "unpaid"].includes(a.subscription_status);
}

export interface NextInvoice {
  amountDue: number;
  currency: string;
  date: Date | null;
}

export interface BillingOverview {
  limits: AgencyLimits;
  usage: AgencyUsage;
  plans: (Plan & { prices: { month: boolean; year: boolean } })[];
  trialEndsAt: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  interval: "month" | "year" | null;
  hasCustomer: boolean;
  hasSubscription: boolean;
  nextInvoice: NextInvoice | null;
  /** Set when Stripe could not be asked for the next invoice (the page still renders). */
  nextInvoiceError: string | null;
}

export async function getBillingOverview(userId: string, agencyId: string): Promise<BillingOverview> {
  const agency = await readAgency(userId, agencyId);
  const { limits, usage, plans } = await asUser(userId, async (tx) => ({
    limits: await getAgencyLimits(tx, agencyId),
    usage: await getAgencyUsage(tx, agencyId),
    plans: await listPlans(tx),
  }));
  let nextInvoice: NextInvoice | null = null;
  let nextInvoiceError: string | null = null;
  const stripe = stripeClient();
  if (stripe && agency.stripe_customer_id && hasLiveSubscription(agency)) {
    try {
      // The "upcoming invoice" of older API versions; stripe-node 18 (API 2025-08-27.basil) calls it a preview.
      const inv = await callStripe("invoices.createPreview", () =>
        stripe.invoices.createPreview({ customer: agency.stripe_customer_id!, subscription: agency.stripe_subscription_id! }),
      );
      nextInvoice = {
        amountDue: inv.amount_due,
        currency: inv.currency,
        date: inv.next_payment_attempt ? new Date(inv.next_payment_attempt * 1000) : inv.period_end ? new Date(inv.period_end * 1000) : null,
      };
    } catch (err) {
      // "No upcoming invoice" is an answer, not a failure (e.g. a subscription set to cancel).
      if ((err as PaymentProviderError).code !== "invoice_upcoming_none") {
        nextInvoiceError = "The next invoice could not be loaded from Stripe right now.";
      }
    }
  }
  return {
    limits,
    usage,
    plans: plans.map((p) => ({
      ...p,
      prices: p.purchasable
        ? { month: Boolean(priceIdFor(p.id as PurchasablePlanId, "month")), year: Boolean(priceIdFor(p.id as PurchasablePlanId, "year")) }
        : { month: false, year: false },
    })),
    trialEndsAt: agency.trial_ends_at,
    currentPeriodEnd: agency.current_period_end,
    cancelAtPeriodEnd: agency.cancel_at_period_end,
    interval: agency.billing_interval,
    hasCustomer: Boolean(agency.stripe_customer_id),
    hasSubscription: hasLiveSubscription(agency),
    nextInvoice,
    nextInvoiceError,
  };
}

/**
 * The agency's Stripe customer, created on first use. The idempotency key makes two concurrent
 * first clicks get the same customer from Stripe; the conditional update keeps the first id stored.
 */
async function ensureCustomer(stripe: Stripe, agency: AgencyBilling, owner: { id: string; email: string; name?: string | null }): Promise<string> {
  if (agency.stripe_customer_id) return agency.stripe_customer_id;
  const customer = await callStripe("customers.create", () =>
    stripe.customers.create(
      { name: agency.name, email: owner.email, metadata: { agency_id: agency.id, agency_slug: agency.slug } },
      { idempotencyKey: `spendlane-customer-${agency.id}` },
    ),
  );
  const [row] = await asService(
    (tx) => tx<{ stripe_customer_id: string }[]>`
    update public.agencies set stripe_customer_id = coalesce(stripe_customer_id, ${customer.id})
    where id = ${agency.id} returning stripe_customer_id`,
  );
  return row.stripe_customer_id;
}

async function auditAsUser(userId: string, agencyId: string, action: string, target: Record<string, string>) {
  await asUser(
    userId,
    (tx) => tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, ${userId}, ${action}, ${tx.json(target)})`,
  );
}

/** The signed-in user as far as billing needs it (Stripe's customer email and name). */
type BillingUser = Pick<SessionUser, "id" | "email" | "name">;

/**
 * Subscribe (Checkout) or change plan (Portal, confirming the new price on the live subscription).
 * Returns the Stripe-hosted URL to redirect to.
 */
export async function startCheckout(
  user: BillingUser,
  agencyId: string,
  input: { planId?: unknown; interval?: unknown },
  appUrl: string,
): Promise<{ url: string; kind: "checkout" | "portal" }> {
  const parsed = planChoiceSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Choose a plan", fieldErrors(parsed.error.issues));
  const { planId, interval } = parsed.data;
  const stripe = requireStripe();
  const priceId = priceIdFor(planId, interval);
  if (!priceId) throw new InputError(`The ${planId} plan is not available ${interval === "year" ? "yearly" : "monthly"} yet.`, { planId: "Not available" });
  const agency = await readAgency(user.id, agencyId);
  const customer = await ensureCustomer(stripe, agency, user);
  const billingUrl = `${appUrl.replace(/\/$/, "")}/a/${agency.slug}/billing`;
  if (hasLiveSubscription(agency)) {
    const sub = await callStripe("subscriptions.retrieve", () => stripe.subscriptions.retrieve(agency.stripe_subscription_id!));
    const item = sub.items.data[0];
    if (!item) throw new InputError("The subscription has no plan to change; use Manage billing.");
    const session = await callStripe("billing_portal.sessions.create", () =>
      stripe.billingPortal.sessions.create({
        customer,
        return_url: billingUrl,
        flow_data: {
          type: "subscription_update_confirm",
          subscription_update_confirm: { subscription: sub.id, items: [{ id: item.id, price: priceId, quantity: 1 }] },
          after_completion: { type: "redirect", redirect: { return_url: `${billingUrl}?changed=1` } },
        },
      }),
    );
    await auditAsUser(user.id, agencyId, "billing.plan_change_started", { plan: planId, interval });
    return { url: session.url, kind: "portal" };
  }
  const session = await callStripe("checkout.sessions.create", () =>
    stripe.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: agencyId,
      line_items: [{ price: priceId, quantity: 1 }],
      success_url: `${billingUrl}?checkout=success`,
      cancel_url: `${billingUrl}?checkout=canceled`,
      allow_promotion_codes: true,
      metadata: { agency_id: agencyId, plan_id: planId },
      subscription_data: { metadata: { agency_id: agencyId, plan_id: planId } },
    }),
  );
  if (!session.url) throw new InputError("Stripe did not return a Checkout page; try again.");
  await auditAsUser(user.id, agencyId, "billing.checkout_started", { plan: planId, interval });
  return { url: session.url, kind: "checkout" };
}

/** The Customer Portal: payment methods, invoices, cancellation. */
export async function openPortal(user: BillingUser, agencyId: string, appUrl: string): Promise<{ url: string }> {
  const stripe = requireStripe();
  const agency = await readAgency(user.id, agencyId);
  const customer = await ensureCustomer(stripe, agency, user);
  const session = await callStripe("billing_portal.sessions.create", () =>
    stripe.billingPortal.sessions.create({ customer, return_url: `${appUrl.replace(/\/$/, "")}/a/${agency.slug}/billing` }),
  );
  logger.info({ agencyId, userId: user.id }, "billing portal opened");
  return { url: session.url };
}
