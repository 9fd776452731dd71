/**
 * Stripe webhooks (POST /webhooks/stripe). A privileged path: everything runs through asService.
 *
 * - Verified: stripe.webhooks.constructEvent with the signing secret and a timestamp tolerance, so a
 *   forged body or a captured request replayed later is refused before anything is read from it.
 * - Idempotent: the event id goes into public.stripe_events in the same transaction as the state
 *   change; a redelivered id is acknowledged and changes nothing. A failure rolls both back, so
 *   Stripe's retry processes the event again.
 * - Ordered: Stripe does not guarantee delivery order. Each agency remembers the `created` time of
 *   the event that last wrote its subscription state (billing_state_at) and an older event never
 *   overwrites it; a canceled subscription never comes back to life (Stripe cannot revive one).
 *   The agency row is locked while an event is applied, so concurrent deliveries serialise.
 */
import Stripe from "stripe";
import type { Tx } from "../db/connection";
import { asService } from "../db/connection";
import { env } from "../env";
import { logger } from "../logger";
import { planForPriceId, PURCHASABLE_PLAN_IDS } from "./plans";

export interface WebhookResult {
  status: number;
  body: { received: boolean; duplicate?: boolean; outcome?: string; error?: string };
}

/** Verifies and processes one delivery. `payload` must be the raw request body, byte for byte. */
export async function handleStripeWebhook(payload: string, signature: string | null): Promise<WebhookResult> {
  const e = env();
  if (!e.STRIPE_WEBHOOK_SECRET) return { status: 404, body: { received: false, error: "Stripe webhooks are not configured" } };
  if (!signature) return { status: 400, body: { received: false, error: "Missing Stripe-Signature header" } };
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(payload, signature, e.STRIPE_WEBHOOK_SECRET, e.STRIPE_WEBHOOK_TOLERANCE);
  } catch (err) {
    // The reason (bad signature, stale timestamp, bad JSON) is logged; the body is not.
    logger.warn({ reason: (err as Error).message }, "stripe webhook refused");
    return { status: 400, body: { received: false, error: "Invalid signature" } };
  }
  const result = await processStripeEvent(event);
  return { status: 200, body: { received: true, duplicate: result.duplicate || undefined, outcome: result.outcome } };
}

export interface ProcessResult {
  duplicate: boolean;
  outcome: string;
  agencyId?: string;
}

interface AgencyBillingRow {
  id: string;
  plan_id: string;
  subscription_status: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  past_due_since: Date | null;
  billing_state_at: Date | null;
}

/** Applies a verified event exactly once. Exported for tests and for replaying events from the CLI. */
export async function processStripeEvent(event: Stripe.Event): Promise<ProcessResult> {
  return asService(async (tx) => {
    const at = new Date(event.created * 1000);
    const [fresh] = await tx`
      insert into public.stripe_events (id, type, event_created_at) values (${event.id}, ${event.type}, ${at})
      on conflict (id) do nothing returning id`;
    if (!fresh) return { duplicate: true, outcome: "duplicate" };
    const result = await apply(tx, event, at);
    await tx`update public.stripe_events set agency_id = ${result.agencyId ?? null}, outcome = ${result.outcome} where id = ${event.id}`;
    logger.info({ stripeEvent: event.id, type: event.type, agencyId: result.agencyId, outcome: result.outcome }, "stripe event processed");
    return { duplicate: false, ...result };
  });
}

async function apply(tx: Tx, event: Stripe.Event, at: Date): Promise<{ outcome: string; agencyId?: string }> {
  switch (event.type) {
    case "checkout.session.completed":
      return checkoutCompleted(tx, event, event.data.object, at);
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return subscriptionChanged(tx, event, event.data.object, at);
    case "invoice.paid":
    case "invoice.payment_failed":
      return invoiceEvent(tx, event, event.data.object, at);
    default:
      return { outcome: "ignored_type" };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idOf = (v: string | { id: string } | null | undefined) => (typeof v === "string" ? v : (v?.id ?? null));

/** Finds and locks the agency: by Stripe customer first, else by the agency id we put in metadata. */
async function lockAgency(tx: Tx, customerId: string | null, agencyIdHint: string | null | undefined): Promise<AgencyBillingRow | undefined> {
  const cols = () => tx`id, plan_id, subscription_status, stripe_customer_id, stripe_subscription_id, past_due_since, billing_state_at`;
  if (customerId) {
    const [row] = await tx<AgencyBillingRow[]>`select ${cols()} from public.agencies where stripe_customer_id = ${customerId} for update`;
    if (row) return row;
  }
  if (agencyIdHint && UUID.test(agencyIdHint)) {
    const [row] = await tx<AgencyBillingRow[]>`select ${cols()} from public.agencies where id = ${agencyIdHint} for update`;
    // A customer id we did not create for this agency is not taken over through metadata alone.
    if (row && (!row.stripe_customer_id || row.stripe_customer_id === customerId)) return row;
  }
  return undefined;
}

function isStale(agency: AgencyBillingRow, at: Date) {
  return agency.billing_state_at !== null && at.getTime() < agency.billing_state_at.getTime();
}

async function audit(tx: Tx, agencyId: string, action: string, target: Record<string, unknown>) {
  await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, null, ${action}, ${tx.json(target as Parameters<typeof tx.json>[0])})`;
}

async function checkoutCompleted(tx: Tx, event: Stripe.Event, session: Stripe.Checkout.Session, at: Date) {
  if (session.mode !== "subscription") return { outcome: "ignored_mode" };
  const customerId = idOf(session.customer);
  const agency = await lockAgency(tx, customerId, session.client_reference_id ?? session.metadata?.agency_id);
  if (!agency) return { outcome: "unknown_agency" };
  const subscriptionId = idOf(session.subscription);
  const planId = (PURCHASABLE_PLAN_IDS as readonly string[]).includes(session.metadata?.plan_id ?? "") ? session.metadata!.plan_id : null;
  let outcome = "linked";
  // The subscription events carry the authoritative state; this only lets the owner see the new plan
  // at once when they come back from Checkout, and never overrides a newer state. It leaves
  // billing_state_at alone: Stripe often stamps customer.subscription.created a moment before the
  // session completes, and that event (with the period end and interval) must still apply.
  if (session.payment_status === "paid" && subscriptionId && planId && !isStale(agency, at)) {
    await tx`update public.agencies set plan_id = ${planId}, subscription_status = 'active', past_due_since = null,
      stripe_subscription_id = ${subscriptionId}
      where id = ${agency.id}`;
    outcome = "applied";
  }
  await tx`update public.agencies set stripe_customer_id = coalesce(stripe_customer_id, ${customerId}) where id = ${agency.id}`;
  await audit(tx, agency.id, "billing.checkout_completed", { event: event.id, subscription: subscriptionId, plan: planId });
  return { outcome, agencyId: agency.id };
}

type OurStatus = "trialing" | "active" | "past_due" | "canceled" | "unpaid";
function mapStatus(s: Stripe.Subscription.Status): OurStatus | undefined {
  switch (s) {
    case "trialing":
    case "active":
    case "past_due":
    case "canceled":
    case "unpaid":
      return s;
    // A paused subscription (trial ended without a payment method) is not being paid for.
    case "paused":
      return "unpaid";
    // incomplete / incomplete_expired: the first payment never went through; the subscription never
    // started, so it changes nothing about the agency.
    default:
      return undefined;
  }
}

const LIVE = new Set(["trialing", "active", "past_due"]);

async function subscriptionChanged(tx: Tx, event: Stripe.Event, sub: Stripe.Subscription, at: Date) {
  const agency = await lockAgency(tx, idOf(sub.customer), sub.metadata?.agency_id);
  if (!agency) return { outcome: "unknown_agency" };
  const status = event.type === "customer.subscription.deleted" ? "canceled" : mapStatus(sub.status);
  if (!status) return { outcome: "ignored_incomplete", agencyId: agency.id };
  if (agency.stripe_subscription_id && agency.stripe_subscription_id !== sub.id) {
    // Another subscription of the same customer: it replaces ours only when it is live and ours is not
    // (re-subscribing after a cancellation); an old subscription's cancellation changes nothing.
    if (!LIVE.has(status) || LIVE.has(agency.subscription_status)) return { outcome: "ignored_other_subscription", agencyId: agency.id };
  }
  if (isStale(agency, at)) return { outcome: "ignored_stale", agencyId: agency.id };
  if (agency.stripe_subscription_id === sub.id && agency.subscription_status === "canceled" && status !== "canceled") {
    return { outcome: "ignored_stale", agencyId: agency.id };
  }
  const item = sub.items?.data?.[0];
  const price = planForPriceId(item?.price?.id);
  if (!price) logger.warn({ agencyId: agency.id, price: item?.price?.id }, "stripe subscription with a price we do not sell; plan kept");
  const planId = price?.planId ?? agency.plan_id;
  const pastDueSince = status === "past_due" ? (agency.subscription_status === "past_due" && agency.past_due_since ? agency.past_due_since : at) : null;
  const periodEnd = item?.current_period_end ? new Date(item.current_period_end * 1000) : null;
  const trialEnd = status === "trialing" && sub.trial_end ? new Date(sub.trial_end * 1000) : null;
  await tx`update public.agencies set
      plan_id = ${planId},
      subscription_status = ${status},
      stripe_subscription_id = ${sub.id},
      stripe_customer_id = coalesce(stripe_customer_id, ${idOf(sub.customer)}),
      current_period_end = ${periodEnd},
      trial_ends_at = coalesce(${trialEnd}::timestamptz, trial_ends_at),
      past_due_since = ${pastDueSince},
      billing_interval = ${price?.interval ?? null},
      cancel_at_period_end = ${sub.cancel_at_period_end ?? false},
      billing_state_at = ${at}
    where id = ${agency.id}`;
  await audit(tx, agency.id, "billing.subscription_changed", {
    event: event.id,
    type: event.type,
    subscription: sub.id,
    status,
    plan: planId,
    previousStatus: agency.subscription_status,
    previousPlan: agency.plan_id,
  });
  return { outcome: "applied", agencyId: agency.id };
}

async function invoiceEvent(tx: Tx, event: Stripe.Event, invoice: Stripe.Invoice, at: Date) {
  const agency = await lockAgency(tx, idOf(invoice.customer), null);
  if (!agency) return { outcome: "unknown_agency" };
  const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
  const ours = !subscriptionId || !agency.stripe_subscription_id || subscriptionId === agency.stripe_subscription_id;
  let outcome = "recorded";
  if (ours && !isStale(agency, at)) {
    if (event.type === "invoice.paid" && (agency.subscription_status === "past_due" || agency.subscription_status === "unpaid")) {
      await tx`update public.agencies set subscription_status = 'active', past_due_since = null, billing_state_at = ${at} where id = ${agency.id}`;
      outcome = "applied";
    } else if (event.type === "invoice.payment_failed" && (agency.subscription_status === "active" || agency.subscription_status === "trialing")) {
      await tx`update public.agencies set subscription_status = 'past_due', past_due_since = ${at}, billing_state_at = ${at} where id = ${agency.id}`;
      outcome = "applied";
    }
  } else {
    outcome = ours ? "ignored_stale" : "ignored_other_subscription";
  }
  await audit(tx, agency.id, event.type === "invoice.paid" ? "billing.invoice_paid" : "billing.payment_failed", {
    event: event.id,
    invoice: invoice.id,
    amount: event.type === "invoice.paid" ? invoice.amount_paid : invoice.amount_due,
    currency: invoice.currency,
    attempt: invoice.attempt_count,
  });
  return { outcome, agencyId: agency.id };
}
