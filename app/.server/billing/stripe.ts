/**
 * The Stripe client (stripe-node v18). Billing is on exactly when STRIPE_SECRET_KEY is set.
 * STRIPE_API_HOST / _PORT / _PROTOCOL point the client at another server (the local fake Stripe in
 * tests/helpers/fake-stripe.ts, or stripe-mock), so tests and offline development need no account.
 */
import Stripe from "stripe";
import { env } from "../env";
import { InputError } from "../errors";
import { logger } from "../logger";

let cached: { key: string; client: Stripe } | undefined;

function configKey() {
  const e = env();
  return [e.STRIPE_SECRET_KEY, e.STRIPE_API_HOST, e.STRIPE_API_PORT, e.STRIPE_API_PROTOCOL].join("|");
}

/** The configured client, or undefined when billing is off. Rebuilt when the configuration changes (tests). */
export function stripeClient(): Stripe | undefined {
  const e = env();
  if (!e.STRIPE_SECRET_KEY) return undefined;
  const key = configKey();
  if (cached?.key !== key) {
    cached = {
      key,
      client: new Stripe(e.STRIPE_SECRET_KEY, {
        host: e.STRIPE_API_HOST,
        port: e.STRIPE_API_PORT,
        protocol: e.STRIPE_API_PROTOCOL,
        maxNetworkRetries: 2,
        timeout: 20_000,
        telemetry: false,
        appInfo: { name: "Spendlane" },
      }),
    };
  }
  return cached.client;
}

export function requireStripe(): Stripe {
  const client = stripeClient();
  if (!client) throw new InputError("Billing is not enabled on this installation (no STRIPE_SECRET_KEY).");
  return client;
}

/** Stripe failed or refused a call. The message is safe to show; details go to the log only. */
export class PaymentProviderError extends Error {
  readonly status = 502;
  constructor(
    message = "Stripe could not complete the request. Nothing was changed; try again in a minute.",
    /** Stripe's error code (e.g. invoice_upcoming_none), for callers that expect some refusals */
    readonly code?: string,
  ) {
    super(message);
    this.name = "PaymentProviderError";
  }
}

/**
 * Runs a Stripe call, logging failures with Stripe's type, code and request id (never the key or
 * the request body) and turning them into a PaymentProviderError.
 */
export async function callStripe<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as Stripe.errors.StripeError;
    logger.error({ stripe: { op: what, type: e?.type, code: e?.code, requestId: e?.requestId, statusCode: e?.statusCode } }, "stripe call failed");
    throw new PaymentProviderError(undefined, e?.code);
  }
}
