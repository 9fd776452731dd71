import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { InputError } from "../../app/.server/errors";
import { getBillingOverview, openPortal, startCheckout } from "../../app/.server/billing/account";
import { PaymentProviderError } from "../../app/.server/billing/stripe";
import { action, loader } from "../../app/routes/a.$agency.billing";
import { createAgencyFixture } from "../helpers/factories";
import { startFakeStripe, type FakeStripe } from "../helpers/fake-stripe";
import { requestAs } from "../helpers/session";

const PRICES = {
  STRIPE_PRICE_STARTER_MONTHLY: "price_starter_m",
  STRIPE_PRICE_STARTER_YEARLY: "price_starter_y",
  STRIPE_PRICE_GROWTH_MONTHLY: "price_growth_m",
  STRIPE_PRICE_GROWTH_YEARLY: "price_growth_y",
  STRIPE_PRICE_SCALE_MONTHLY: "price_scale_m",
  // Scale yearly deliberately not configured
};
const APP = "https://app.spendlane.test";
const saved = { ...process.env };
let fake: FakeStripe;

function billingOn() {
  Object.assign(process.env, PRICES, fake.env(), { STRIPE_WEBHOOK_SECRET: "whsec_checkout" });
  resetEnvForTests();
}
function billingOff() {
  for (const k of ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_HOST", "STRIPE_API_PORT", "STRIPE_API_PROTOCOL"]) delete process.env[k];
  resetEnvForTests();
}

beforeAll(async () => {
  fake = await startFakeStripe({ prices: Object.values(PRICES) });
});
afterAll(async () => {
  process.env = saved;
  resetEnvForTests();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.failWith = null;
  billingOn();
});

const userOf = (u: { id: string; email: string }) => ({ id: u.id, email: u.email, name: "Owner" });
const customerOf = async (agencyId: string) =>
  (await asService((tx) => tx`select stripe_customer_id from public.agencies where id = ${agencyId}`))[0].stripe_customer_id as string | null;

describe("Checkout", () => {
  it("creates the customer lazily, stores it, and opens Checkout for the chosen price", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    expect(await customerOf(agency.id)).toBeNull();
    const out = await startCheckout(userOf(owner), agency.id, { planId: "growth", interval: "year" }, APP);
    expect(out.kind).toBe("checkout");
    expect(out.url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const [cust, session] = fake.requests;
    expect(cust).toMatchObject({ method: "POST", path: "/v1/customers", idempotencyKey: `spendlane-customer-${agency.id}` });
    expect(cust.body).toMatchObject({ email: owner.email, metadata: { agency_id: agency.id } });
    const customerId = await customerOf(agency.id);
    expect(customerId).toMatch(/^cus_/);
    expect(session.path).toBe("/v1/checkout/sessions");
    expect(session.body).toMatchObject({
      mode: "subscription",
      customer: customerId,
      client_reference_id: agency.id,
      line_items: { "0": { price: "price_growth_y", quantity: "1" } },
      success_url: `${APP}/a/${agency.slug}/billing?checkout=success`,
      cancel_url: `${APP}/a/${agency.slug}/billing?checkout=canceled`,
      metadata: { agency_id: agency.id, plan_id: "growth" },
      subscription_data: { metadata: { agency_id: agency.id, plan_id: "growth" } },
    });
    const [audit] = await asService(
      (tx) => tx`select actor_user_id, target from public.audit_log where agency_id = ${agency.id} and action = 'billing.checkout_started'`,
    );
    expect(audit).toMatchObject({ actor_user_id: owner.id, target: { plan: "growth", interval: "year" } });
    // The second attempt reuses the stored customer.
    fake.requests.length = 0;
    await startCheckout(userOf(owner), agency.id, { planId: "starter" }, APP);
    expect(fake.requests.map((r) => r.path)).toEqual(["/v1/checkout/sessions"]);
    expect(fake.requests[0].body.line_items["0"].price).toBe("price_starter_m");
  });

  it("two first clicks at once end with one customer", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    await Promise.all([1, 2].map(() => startCheckout(userOf(owner), agency.id, { planId: "starter" }, APP)));
    // Whether both requests read "no customer yet" depends on timing; either way Stripe holds one
    // customer for the agency (same idempotency key) and both sessions use it.
    const created = fake.requests.filter((r) => r.path === "/v1/customers");
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.idempotencyKey))).toEqual(new Set([`spendlane-customer-${agency.id}`]));
    expect([...fake.customers.values()].filter((c) => c.metadata.agency_id === agency.id)).toHaveLength(1);
    const sessions = fake.requests.filter((r) => r.path === "/v1/checkout/sessions");
    expect(new Set(sessions.map((s) => s.body.customer)).size).toBe(1);
    expect(sessions[0].body.customer).toBe(await customerOf(agency.id));
  });

  it("refuses a bad plan or an unconfigured price before calling Stripe", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    await expect(startCheckout(userOf(owner), agency.id, { planId: "trial" }, APP)).rejects.toBeInstanceOf(InputError);
    await expect(startCheckout(userOf(owner), agency.id, { planId: "growth", interval: "weekly" }, APP)).rejects.toBeInstanceOf(InputError);
    await expect(startCheckout(userOf(owner), agency.id, { planId: "scale", interval: "year" }, APP)).rejects.toThrow(/not available yearly/);
    expect(fake.requests).toHaveLength(0);
    expect(await customerOf(agency.id)).toBeNull();
  });

  it("a Stripe error becomes a safe message and stores nothing", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    fake.failWith = { status: 400, type: "invalid_request_error", code: "account_invalid", message: "The account is not set up" };
    const err = await startCheckout(userOf(owner), agency.id, { planId: "starter" }, APP).catch((e) => e);
    expect(err).toBeInstanceOf(PaymentProviderError);
    expect(err.message).toBe("Stripe could not complete the request. Nothing was changed; try again in a minute.");
    expect(await customerOf(agency.id)).toBeNull();
  });

  it("with a live subscription, changing plan confirms the new price in the Portal instead of a second Checkout", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    await startCheckout(userOf(owner), agency.id, { planId: "starter" }, APP);
    const customer = (await customerOf(agency.id))!;
    const sub = fake.addSubscription({ customer, price: "price_starter_m" });
    await asService(
      (tx) => tx`update public.agencies set plan_id = 'starter', subscription_status = 'active', stripe_subscription_id = ${sub.id} where id = ${agency.id}`,
    );
    fake.requests.length = 0;
    const out = await startCheckout(userOf(owner), agency.id, { planId: "scale", interval: "month" }, APP);
    expect(out.kind).toBe("portal");
    expect(out.url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /v1/subscriptions/${sub.id}`, "POST /v1/billing_portal/sessions"]);
    expect(fake.requests[1].body).toMatchObject({
      customer,
      flow_data: {
        type: "subscription_update_confirm",
        subscription_update_confirm: { subscription: sub.id, items: { "0": { id: sub.itemId, price: "price_scale_m" } } },
      },
    });
  });
});

describe("Portal and overview", () => {
  it("opens the Customer Portal for the agency's customer", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    const out = await openPortal(userOf(owner), agency.id, APP);
    expect(out.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    const portal = fake.requests.find((r) => r.path === "/v1/billing_portal/sessions")!;
    expect(portal.body).toEqual({ customer: await customerOf(agency.id), return_url: `${APP}/a/${agency.slug}/billing` });
  });

  it("shows plan, usage and the next invoice from Stripe", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 3 });
    await openPortal(userOf(owner), agency.id, APP);
    const customer = (await customerOf(agency.id))!;
    const sub = fake.addSubscription({ customer, price: "price_growth_m", amount: 14900, currency: "eur" });
    await asService(
      (tx) => tx`update public.agencies set plan_id = 'growth', subscription_status = 'active', stripe_subscription_id = ${sub.id} where id = ${agency.id}`,
    );
    const o = await getBillingOverview(owner.id, agency.id);
    expect(o.usage).toEqual({ clients: 3, seats: 3 });
    expect(o.limits).toMatchObject({ planId: "growth", clients: 25, seats: 10, billingEnabled: true });
    expect(o.nextInvoice).toEqual({ amountDue: 14900, currency: "eur", date: new Date((sub.periodEnd + 3600) * 1000) });
    expect(o.plans.find((p) => p.id === "scale")?.prices).toEqual({ month: true, year: false });
    const preview = fake.requests.find((r) => r.path === "/v1/invoices/create_preview")!;
    expect(preview.body).toEqual({ customer, subscription: sub.id });
  });

  it("no upcoming invoice is not an error; a Stripe failure is a notice, not a broken page", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 0 });
    await openPortal(userOf(owner), agency.id, APP);
    const customer = (await customerOf(agency.id))!;
    const sub = fake.addSubscription({ customer, price: "price_growth_m", status: "canceled" });
    await asService(
      (tx) => tx`update public.agencies set plan_id = 'growth', subscription_status = 'active', stripe_subscription_id = ${sub.id} where id = ${agency.id}`,
    );
    expect(await getBillingOverview(owner.id, agency.id)).toMatchObject({ nextInvoice: null, nextInvoiceError: null });
    fake.failWith = { status: 401, type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****" };
    const o = await getBillingOverview(owner.id, agency.id);
    expect(o).toMatchObject({ nextInvoice: null, nextInvoiceError: "The next invoice could not be loaded from Stripe right now." });
    expect(o.limits.planId).toBe("growth");
  });

  it("renders without Stripe when billing is off, and refuses to start Checkout", async () => {
    billingOff();
    const { agency, owner } = await createAgencyFixture({ workspaces: 1 });
    const o = await getBillingOverview(owner.id, agency.id);
    expect(o).toMatchObject({ nextInvoice: null, hasSubscription: false, limits: { billingEnabled: false, planId: "trial", clients: 25 } });
    await expect(startCheckout(userOf(owner), agency.id, { planId: "starter" }, APP)).rejects.toThrow(/Billing is not enabled/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("billing route", () => {
  const form = (fields: Record<string, string>) => ({ method: "POST", body: new URLSearchParams(fields) });
  const call = async (fn: typeof action | typeof loader, req: Request, agency: string) => {
    try {
      return (await fn({ request: req, params: { agency }, context: { nonce: "", requestId: "test", clientIp: "127.0.0.1" } })) as unknown;
    } catch (thrown) {
      return thrown;
    }
  };

  it("owners are redirected to Stripe; admins get 403; viewers and outsiders 404", async () => {
    const { agency, owner, admin, viewer } = await createAgencyFixture({ workspaces: 1 });
    const { owner: outsider } = await createAgencyFixture({ workspaces: 0 });
    const res = (await call(
      action,
      await requestAs(owner.id, `/a/${agency.slug}/billing`, form({ intent: "checkout", planId: "starter", interval: "month" })),
      agency.slug,
    )) as Response;
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^https:\/\/checkout\.stripe\.test\//);
    const portal = (await call(action, await requestAs(owner.id, `/a/${agency.slug}/billing`, form({ intent: "portal" })), agency.slug)) as Response;
    expect(portal.headers.get("location")).toMatch(/^https:\/\/billing\.stripe\.test\//);
    const before = fake.requests.length;
    expect(((await call(action, await requestAs(admin.id, `/a/${agency.slug}/billing`, form({ intent: "portal" })), agency.slug)) as Response).status).toBe(
      403,
    );
    expect(((await call(action, await requestAs(viewer.id, `/a/${agency.slug}/billing`, form({ intent: "portal" })), agency.slug)) as Response).status).toBe(
      404,
    );
    expect(((await call(action, await requestAs(outsider.id, `/a/${agency.slug}/billing`, form({ intent: "portal" })), agency.slug)) as Response).status).toBe(
      404,
    );
    expect(((await call(loader, await requestAs(admin.id, `/a/${agency.slug}/billing`), agency.slug)) as Response).status).toBe(403);
    expect(((await call(loader, await requestAs(outsider.id, `/a/${agency.slug}/billing`), agency.slug)) as Response).status).toBe(404);
    expect(fake.requests.length).toBe(before);
  });

  it("bad input answers 400 with a message; the loader returns the overview", async () => {
    const { agency, owner } = await createAgencyFixture({ workspaces: 2 });
    const bad = (await call(action, await requestAs(owner.id, `/a/${agency.slug}/billing`, form({ intent: "checkout", planId: "platinum" })), agency.slug)) as {
      data: { error: string };
      init: { status: number };
    };
    expect(bad.init.status).toBe(400);
    expect(bad.data.error).toBe("Choose a plan");
    const unknown = (await call(action, await requestAs(owner.id, `/a/${agency.slug}/billing`, form({ intent: "delete-everything" })), agency.slug)) as {
      init: { status: number };
    };
    expect(unknown.init.status).toBe(400);
    const page = (await call(loader, await requestAs(owner.id, `/a/${agency.slug}/billing`), agency.slug)) as {
      usage: { clients: number };
      limits: { planName: string };
    };
    expect(page.usage.clients).toBe(2);
    expect(page.limits.planName).toBe("Trial");
  });
});
