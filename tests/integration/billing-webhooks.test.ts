import { describe, it, expect, beforeAll, afterAll } from "vitest";
import Stripe from "stripe";
import { randomBytes } from "node:crypto";
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { getAgencyLimits } from "../../app/.server/billing/limits";
import { processStripeEvent } from "../../app/.server/billing/webhooks";
import { action, loader } from "../../app/routes/webhooks.stripe";
import { createAgencyFixture } from "../helpers/factories";

const SECRET = "whsec_test_" + randomBytes(12).toString("hex");
const PRICES = {
  STRIPE_PRICE_STARTER_MONTHLY: "price_starter_m",
  STRIPE_PRICE_STARTER_YEARLY: "price_starter_y",
  STRIPE_PRICE_GROWTH_MONTHLY: "price_growth_m",
  STRIPE_PRICE_SCALE_MONTHLY: "price_scale_m",
};
const saved = { ...process.env };

beforeAll(() => {
  Object.assign(process.env, PRICES, { STRIPE_SECRET_KEY: "sk_test_webhooks", STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_WEBHOOK_TOLERANCE: "300" });
  resetEnvForTests();
});
afterAll(() => {
  process.env = saved;
  resetEnvForTests();
});

const T0 = Math.floor(Date.now() / 1000) - 100;
const evtId = () => `evt_${randomBytes(10).toString("hex")}`;

function subscription(o: { id: string; customer: string; price: string; status: string; cancelAtPeriodEnd?: boolean; periodEnd?: number }) {
  return {
    id: o.id,
    object: "subscription",
    customer: o.customer,
    status: o.status,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    trial_end: null,
    metadata: {},
    items: {
      object: "list",
      data: [{ id: `si_${o.id}`, object: "subscription_item", price: { id: o.price, object: "price" }, current_period_end: o.periodEnd ?? T0 + 30 * 86400 }],
    },
  };
}

function event(type: string, object: Record<string, unknown>, created: number, id = evtId()) {
  return {
    id,
    object: "event",
    api_version: "2025-08-27.basil",
    type,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

function signed(evt: object, opts: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(evt);
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? SECRET,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
  });
  return { payload, header };
}

async function post(payload: string, header: string | null) {
  const headers = new Headers({ "content-type": "application/json" });
  if (header !== null) headers.set("stripe-signature", header);
  const request = new Request("http://localhost/webhooks/stripe", { method: "POST", body: payload, headers });
  const res = (await action({ request, params: {}, context: { nonce: "", requestId: "test", clientIp: "127.0.0.1" } })) as Response;
  return { status: res.status, body: await res.json() };
}

async function deliver(evt: object) {
  const { payload, header } = signed(evt);
  return post(payload, header);
}

async function agencyWithCustomer() {
  const { agency, owner } = await createAgencyFixture({ workspaces: 1 });
  const customer = `cus_${randomBytes(8).toString("hex")}`;
  await asService((tx) => tx`update public.agencies set stripe_customer_id = ${customer} where id = ${agency.id}`);
  return { agency, owner, customer };
}

async function state(agencyId: string) {
  const [row] = await asService(
    (tx) => tx`
    select plan_id, subscription_status, stripe_subscription_id, stripe_customer_id, past_due_since, current_period_end,
           billing_interval, cancel_at_period_end, billing_state_at
    from public.agencies where id = ${agencyId}`,
  );
  return row;
}

const auditCount = async (agencyId: string) =>
  Number((await asService((tx) => tx`select count(*)::int as n from public.audit_log where agency_id = ${agencyId} and action like 'billing.%'`))[0].n);

describe("POST /webhooks/stripe", () => {
  it("applies a subscription, records the event and writes an audit entry", async () => {
    const { agency, customer } = await agencyWithCustomer();
    const evt = event(
      "customer.subscription.created",
      subscription({ id: "sub_a1", customer, price: "price_starter_y", status: "active", periodEnd: T0 + 86400 * 365 }),
      T0,
    );
    const res = await deliver(evt);
    expect(res).toEqual({ status: 200, body: { received: true, outcome: "applied" } });
    const s = await state(agency.id);
    expect(s).toMatchObject({
      plan_id: "starter",
      subscription_status: "active",
      stripe_subscription_id: "sub_a1",
      billing_interval: "year",
      past_due_since: null,
    });
    expect(s.current_period_end.getTime()).toBe((T0 + 86400 * 365) * 1000);
    const limits = await asService((tx) => getAgencyLimits(tx, agency.id));
    expect(limits).toMatchObject({ planId: "starter", clients: 5, seats: 3, refreshMinutes: 60, readOnly: false, billingEnabled: true });
    const [rec] = await asService((tx) => tx`select type, agency_id, outcome from public.stripe_events where id = ${evt.id}`);
    expect(rec).toMatchObject({ type: "customer.subscription.created", agency_id: agency.id, outcome: "applied" });
    const [audit] = await asService(
      (tx) => tx`select actor_user_id, target from public.audit_log where agency_id = ${agency.id} and action = 'billing.subscription_changed'`,
    );
    expect(audit.actor_user_id).toBeNull();
    expect(audit.target).toMatchObject({ event: evt.id, plan: "starter", previousPlan: "trial", status: "active" });
  });

  it("refuses a bad signature, a tampered body, a stale timestamp and a missing header, changing nothing", async () => {
    const { agency, customer } = await agencyWithCustomer();
    const evt = event("customer.subscription.created", subscription({ id: "sub_b1", customer, price: "price_scale_m", status: "active" }), T0);
    const before = await state(agency.id);
    const wrongSecret = signed(evt, { secret: "whsec_not_ours" });
    expect(await post(wrongSecret.payload, wrongSecret.header)).toEqual({ status: 400, body: { received: false, error: "Invalid signature" } });
    const good = signed(evt);
    const tampered = good.payload.replace('"price_scale_m"', '"price_starter_m"');
    expect((await post(tampered, good.header)).status).toBe(400);
    const stale = signed(evt, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect((await post(stale.payload, stale.header)).status).toBe(400);
    expect((await post(good.payload, null)).status).toBe(400);
    expect((await post("not json", good.header)).status).toBe(400);
    expect(await state(agency.id)).toEqual(before);
    expect(await asService((tx) => tx`select 1 from public.stripe_events where id = ${evt.id}`)).toHaveLength(0);
    expect(await auditCount(agency.id)).toBe(0);
  });

  it("acknowledges a replayed event id without applying it again", async () => {
    const { agency, customer } = await agencyWithCustomer();
    const first = event("customer.subscription.created", subscription({ id: "sub_c1", customer, price: "price_growth_m", status: "active" }), T0);
    const firstSigned = signed(first);
    expect((await post(firstSigned.payload, firstSigned.header)).body.outcome).toBe("applied");
    // A newer state arrives, then the first delivery is replayed (same id, fresh signature).
    await deliver(event("customer.subscription.updated", subscription({ id: "sub_c1", customer, price: "price_scale_m", status: "active" }), T0 + 60));
    const audits = await auditCount(agency.id);
    const replay = await deliver(first);
    expect(replay).toEqual({ status: 200, body: { received: true, duplicate: true, outcome: "duplicate" } });
    // also the byte-identical original delivery (within the tolerance window)
    expect((await post(firstSigned.payload, firstSigned.header)).body.duplicate).toBe(true);
    expect((await state(agency.id)).plan_id).toBe("scale");
    expect(await auditCount(agency.id)).toBe(audits);
  });

  it("two concurrent deliveries of one event apply it once", async () => {
    const { agency, customer } = await agencyWithCustomer();
    const evt = event(
      "customer.subscription.created",
      subscription({ id: "sub_d1", customer, price: "price_growth_m", status: "active" }),
      T0,
    ) as unknown as Stripe.Event;
    const results = await Promise.all([processStripeEvent(evt), processStripeEvent(evt)]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(await auditCount(agency.id)).toBe(1);
  });

  it("never lets an older event overwrite a newer state", async () => {
    const { agency, customer } = await agencyWithCustomer();
    await deliver(event("customer.subscription.updated", subscription({ id: "sub_e1", customer, price: "price_scale_m", status: "active" }), T0 + 20));
    const older = await deliver(
      event("customer.subscription.created", subscription({ id: "sub_e1", customer, price: "price_starter_m", status: "active" }), T0 + 10),
    );
    expect(older.body.outcome).toBe("ignored_stale");
    expect((await state(agency.id)).plan_id).toBe("scale");
    // an older payment failure does not turn the newer active state past_due either
    const oldFailure = await deliver(
      event(
        "invoice.payment_failed",
        {
          id: "in_old",
          object: "invoice",
          customer,
          amount_due: 4900,
          currency: "usd",
          attempt_count: 1,
          parent: { subscription_details: { subscription: "sub_e1" } },
        },
        T0 + 5,
      ),
    );
    expect(oldFailure.body.outcome).toBe("ignored_stale");
    expect((await state(agency.id)).subscription_status).toBe("active");
  });

  it("a deleted subscription is read-only and stays canceled even when an update of the same second arrives after it", async () => {
    const { agency, customer } = await agencyWithCustomer();
    await deliver(event("customer.subscription.created", subscription({ id: "sub_f1", customer, price: "price_growth_m", status: "active" }), T0));
    await deliver(event("customer.subscription.deleted", subscription({ id: "sub_f1", customer, price: "price_growth_m", status: "canceled" }), T0 + 30));
    const late = await deliver(
      event("customer.subscription.updated", subscription({ id: "sub_f1", customer, price: "price_growth_m", status: "active" }), T0 + 30),
    );
    expect(late.body.outcome).toBe("ignored_stale");
    expect((await state(agency.id)).subscription_status).toBe("canceled");
    const limits = await asService((tx) => getAgencyLimits(tx, agency.id));
    expect(limits).toMatchObject({ readOnly: true, syncPaused: true, planId: "growth" });
    // Subscribing again (a new subscription) brings the agency back.
    const again = await deliver(
      event("customer.subscription.created", subscription({ id: "sub_f2", customer, price: "price_starter_m", status: "active" }), T0 + 40),
    );
    expect(again.body.outcome).toBe("applied");
    expect(await state(agency.id)).toMatchObject({ subscription_status: "active", plan_id: "starter", stripe_subscription_id: "sub_f2" });
    // ...and the old subscription's late events no longer matter.
    const old = await deliver(
      event("customer.subscription.deleted", subscription({ id: "sub_f1", customer, price: "price_growth_m", status: "canceled" }), T0 + 50),
    );
    expect(old.body.outcome).toBe("ignored_other_subscription");
    expect((await state(agency.id)).subscription_status).toBe("active");
  });

  it("a failed payment starts the 7-day grace period; a paid invoice ends it", async () => {
    const { agency, customer } = await agencyWithCustomer();
    await deliver(event("customer.subscription.created", subscription({ id: "sub_g1", customer, price: "price_growth_m", status: "active" }), T0));
    const invoice = {
      id: "in_g1",
      object: "invoice",
      customer,
      amount_due: 9900,
      amount_paid: 0,
      currency: "usd",
      attempt_count: 1,
      parent: { subscription_details: { subscription: "sub_g1" } },
    };
    expect((await deliver(event("invoice.payment_failed", invoice, T0 + 10))).body.outcome).toBe("applied");
    const s = await state(agency.id);
    expect(s.subscription_status).toBe("past_due");
    expect(s.past_due_since.getTime()).toBe((T0 + 10) * 1000);
    const limits = await asService((tx) => getAgencyLimits(tx, agency.id));
    expect(limits.graceEndsAt?.getTime()).toBe((T0 + 10 + 7 * 86400) * 1000);
    expect(limits.readOnly).toBe(false);
    // Stripe's own subscription.updated (past_due) keeps the original start of the grace period.
    await deliver(event("customer.subscription.updated", subscription({ id: "sub_g1", customer, price: "price_growth_m", status: "past_due" }), T0 + 20));
    expect((await state(agency.id)).past_due_since.getTime()).toBe((T0 + 10) * 1000);
    expect((await deliver(event("invoice.paid", { ...invoice, amount_paid: 9900 }, T0 + 30))).body.outcome).toBe("applied");
    expect(await state(agency.id)).toMatchObject({ subscription_status: "active", past_due_since: null });
    const actions = await asService((tx) => tx`select action from public.audit_log where agency_id = ${agency.id} and action like 'billing.%' order by id`);
    expect(actions.map((a) => a.action)).toEqual([
      "billing.subscription_changed",
      "billing.payment_failed",
      "billing.subscription_changed",
      "billing.invoice_paid",
    ]);
  });

  it("checkout.session.completed links the customer and shows the bought plan at once", async () => {
    const { agency } = await createAgencyFixture({ workspaces: 0 });
    const customer = `cus_${randomBytes(8).toString("hex")}`;
    const session = {
      id: "cs_test_1",
      object: "checkout.session",
      mode: "subscription",
      customer,
      subscription: "sub_h1",
      client_reference_id: agency.id,
      payment_status: "paid",
      metadata: { agency_id: agency.id, plan_id: "scale" },
    };
    expect((await deliver(event("checkout.session.completed", session, T0))).body.outcome).toBe("applied");
    expect(await state(agency.id)).toMatchObject({
      stripe_customer_id: customer,
      stripe_subscription_id: "sub_h1",
      plan_id: "scale",
      subscription_status: "active",
    });
    // Stripe stamped the subscription's creation a second earlier; delivered late, it still applies.
    const created = await deliver(
      event("customer.subscription.created", subscription({ id: "sub_h1", customer, price: "price_scale_m", status: "active", periodEnd: T0 + 999 }), T0 - 1),
    );
    expect(created.body.outcome).toBe("applied");
    expect(await state(agency.id)).toMatchObject({ plan_id: "scale", billing_interval: "month", current_period_end: new Date((T0 + 999) * 1000) });
    // A checkout completion delivered after a newer cancellation does not revive the agency.
    await deliver(event("customer.subscription.deleted", subscription({ id: "sub_h1", customer, price: "price_scale_m", status: "canceled" }), T0 + 50));
    await deliver(event("checkout.session.completed", { ...session, id: "cs_test_1b" }, T0 + 2));
    expect((await state(agency.id)).subscription_status).toBe("canceled");
  });

  it("metadata cannot attach a customer to an agency that already has another one", async () => {
    const { agency, customer } = await agencyWithCustomer();
    const foreign = event(
      "checkout.session.completed",
      {
        id: "cs_x",
        object: "checkout.session",
        mode: "subscription",
        customer: "cus_someone_else",
        subscription: "sub_x",
        client_reference_id: agency.id,
        payment_status: "paid",
        metadata: { plan_id: "scale" },
      },
      T0,
    );
    expect((await deliver(foreign)).body.outcome).toBe("unknown_agency");
    expect(await state(agency.id)).toMatchObject({ stripe_customer_id: customer, plan_id: "trial" });
  });

  it("events for unknown customers and unhandled types are acknowledged and recorded, changing nothing", async () => {
    const unknown = event(
      "customer.subscription.updated",
      subscription({ id: "sub_zz", customer: "cus_nobody", price: "price_growth_m", status: "active" }),
      T0,
    );
    expect(await deliver(unknown)).toEqual({ status: 200, body: { received: true, outcome: "unknown_agency" } });
    const other = event("charge.succeeded", { id: "ch_1", object: "charge" }, T0);
    expect((await deliver(other)).body.outcome).toBe("ignored_type");
  });

  it("answers 404 when webhooks are not configured, and 405 to GET", async () => {
    const { payload, header } = signed(event("invoice.paid", { id: "in_1", object: "invoice", customer: "cus_1" }, T0));
    delete process.env.STRIPE_WEBHOOK_SECRET;
    delete process.env.STRIPE_SECRET_KEY;
    resetEnvForTests();
    try {
      expect((await post(payload, header)).status).toBe(404);
    } finally {
      Object.assign(process.env, { STRIPE_SECRET_KEY: "sk_test_webhooks", STRIPE_WEBHOOK_SECRET: SECRET });
      resetEnvForTests();
    }
    const res = loader() as Response;
    expect(res.status).toBe(405);
  });
});
