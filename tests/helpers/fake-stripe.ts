/**
 * A local fake of the few Stripe API endpoints Spendlane calls, reached by stripe-node through
 * STRIPE_API_HOST / STRIPE_API_PORT / STRIPE_API_PROTOCOL. It answers with Stripe's object and error
 * shapes (`{ error: { type, code, message, param } }`), checks the API key and the references it is
 * given (customers, prices, subscriptions), honours Idempotency-Key, and records every request so
 * tests can assert what was sent.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import qs from "qs";

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, any>;
  idempotencyKey?: string;
}

interface FakeSubscription {
  id: string;
  customer: string;
  itemId: string;
  price: string;
  status: string;
  amount: number;
  currency: string;
  periodEnd: number;
}

export interface FakeStripe {
  port: number;
  requests: RecordedRequest[];
  customers: Map<string, { id: string; name?: string; email?: string; metadata: Record<string, string> }>;
  subscriptions: Map<string, FakeSubscription>;
  /** Answers every request with this error until cleared (Stripe-shaped). */
  failWith: { status: number; type: string; code?: string; message: string } | null;
  addSubscription(s: { customer: string; price: string; status?: string; amount?: number; currency?: string }): FakeSubscription;
  /** Env for the app: point stripe-node here. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const now = () => Math.floor(Date.now() / 1000);

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code?: string,
    readonly param?: string,
  ) {
    super(message);
  }
}
const missing = (what: string, value: string, param: string) =>
  new StripeApiError(400, "invalid_request_error", `No such ${what}: '${value}'`, "resource_missing", param);
const required = (param: string) => new StripeApiError(400, "invalid_request_error", `Missing required param: ${param}.`, "parameter_missing", param);

export async function startFakeStripe(opts: { prices: string[]; secretKey?: string }): Promise<FakeStripe> {
  const prices = new Set(opts.prices);
  const secretKey = opts.secretKey ?? "sk_test_fake_0123456789";
  const requests: RecordedRequest[] = [];
  const customers: FakeStripe["customers"] = new Map();
  const subscriptions: FakeStripe["subscriptions"] = new Map();
  const idempotent = new Map<string, unknown>();

  function route(method: string, path: string, body: Record<string, any>): unknown {
    if (method === "POST" && path === "/v1/customers") {
      const c = { id: id("cus"), object: "customer", name: body.name, email: body.email, metadata: body.metadata ?? {}, created: now(), livemode: false };
      customers.set(c.id, c);
      return c;
    }
    const subMatch = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === "GET" && subMatch) {
      const s = subscriptions.get(subMatch[1]);
      if (!s) throw new StripeApiError(404, "invalid_request_error", `No such subscription: '${subMatch[1]}'`, "resource_missing", "id");
      return subscriptionObject(s);
    }
    if (method === "POST" && path === "/v1/checkout/sessions") {
      if (!body.mode) throw required("mode");
      if (!body.success_url) throw required("success_url");
      if (body.customer && !customers.has(body.customer)) throw missing("customer", body.customer, "customer");
      const items = Object.values(body.line_items ?? {}) as { price?: string; quantity?: string }[];
      if (!items.length) throw required("line_items");
      items.forEach((item, i) => {
        if (!item.price || !prices.has(item.price)) throw missing("price", String(item.price), `line_items[${i}][price]`);
      });
      const sid = id("cs_test");
      return {
        id: sid,
        object: "checkout.session",
        mode: body.mode,
        customer: body.customer ?? null,
        client_reference_id: body.client_reference_id ?? null,
        metadata: body.metadata ?? {},
        success_url: body.success_url,
        cancel_url: body.cancel_url ?? null,
        status: "open",
        payment_status: "unpaid",
        subscription: null,
        url: `https://checkout.stripe.test/c/pay/${sid}`,
        livemode: false,
      };
    }
    if (method === "POST" && path === "/v1/billing_portal/sessions") {
      if (!body.customer) throw required("customer");
      if (!customers.has(body.customer)) throw missing("customer", body.customer, "customer");
      const flow = body.flow_data;
      if (flow?.type === "subscription_update_confirm") {
        const conf = flow.subscription_update_confirm ?? {};
        const s = subscriptions.get(conf.subscription);
        if (!s || s.customer !== body.customer)
          throw missing("subscription", String(conf.subscription), "flow_data[subscription_update_confirm][subscription]");
        const item = conf.items?.["0"] ?? conf.items?.[0];
        if (!item || item.id !== s.itemId) throw missing("subscription_item", String(item?.id), "flow_data[subscription_update_confirm][items][0][id]");
        if (!prices.has(item.price)) throw missing("price", String(item.price), "flow_data[subscription_update_confirm][items][0][price]");
      }
      const pid = id("bps");
      return {
        id: pid,
        object: "billing_portal.session",
        customer: body.customer,
        return_url: body.return_url ?? null,
        flow: flow ?? null,
        url: `https://billing.stripe.test/p/session/${pid}`,
        livemode: false,
      };
    }
    if (method === "POST" && path === "/v1/invoices/create_preview") {
      if (!body.customer) throw required("customer");
      if (!customers.has(body.customer)) throw missing("customer", body.customer, "customer");
      const s = body.subscription ? subscriptions.get(body.subscription) : [...subscriptions.values()].find((x) => x.customer === body.customer);
      if (!s || s.customer !== body.customer || s.status === "canceled") {
        throw new StripeApiError(400, "invalid_request_error", `No upcoming invoices for customer: ${body.customer}`, "invoice_upcoming_none");
      }
      return {
        id: `upcoming_${s.id}`,
        object: "invoice",
        customer: s.customer,
        amount_due: s.amount,
        currency: s.currency,
        period_end: s.periodEnd,
        next_payment_attempt: s.periodEnd + 3600,
        lines: { object: "list", data: [{ object: "line_item", amount: s.amount, currency: s.currency }], has_more: false },
        livemode: false,
      };
    }
    throw new StripeApiError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  }

  function subscriptionObject(s: FakeSubscription) {
    return {
      id: s.id,
      object: "subscription",
      customer: s.customer,
      status: s.status,
      cancel_at_period_end: false,
      items: {
        object: "list",
        data: [{ id: s.itemId, object: "subscription_item", price: { id: s.price, object: "price" }, quantity: 1, current_period_end: s.periodEnd }],
        has_more: false,
      },
      livemode: false,
    };
  }

  const fake: FakeStripe = {
    port: 0,
    requests,
    customers,
    subscriptions,
    failWith: null,
    addSubscription(s) {
      const sub: FakeSubscription = {
        id: id("sub"),
        itemId: id("si"),
        customer: s.customer,
        price: s.price,
        status: s.status ?? "active",
        amount: s.amount ?? 4900,
        currency: s.currency ?? "usd",
        periodEnd: now() + 30 * 86400,
      };
      subscriptions.set(sub.id, sub);
      return sub;
    },
    env: () => ({
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_API_HOST: "127.0.0.1",
      STRIPE_API_PORT: String(fake.port),
      STRIPE_API_PROTOCOL: "http",
    }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const raw = Buffer.concat(chunks).toString("utf8");
      const body = (req.method === "GET" ? qs.parse(url.search.slice(1)) : qs.parse(raw)) as Record<string, any>;
      const idempotencyKey = req.headers["idempotency-key"] as string | undefined;
      requests.push({ method: req.method ?? "GET", path: url.pathname, body, idempotencyKey });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", "request-id": id("req"), ...headers });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        return send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_****" } });
      }
      if (fake.failWith) {
        const f = fake.failWith;
        return send(f.status, { error: { type: f.type, code: f.code, message: f.message } });
      }
      const replayKey = idempotencyKey && `${req.method} ${url.pathname} ${idempotencyKey}`;
      if (replayKey && idempotent.has(replayKey)) return send(200, idempotent.get(replayKey), { "idempotent-replayed": "true" });
      try {
        const out = route(req.method ?? "GET", url.pathname, body);
        if (replayKey) idempotent.set(replayKey, out);
        send(200, out);
      } catch (err) {
        if (err instanceof StripeApiError) {
          return send(err.status, { error: { type: err.type, code: err.code, message: err.message, param: err.param } });
        }
        send(500, { error: { type: "api_error", message: (err as Error).message } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.port = (server.address() as AddressInfo).port;
  return fake;
}
