/**
 * POST /webhooks/stripe: Stripe's event deliveries. A resource route (no UI). The body is read raw
 * (request.text()) because the signature covers the exact bytes Stripe sent.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { handleStripeWebhook } from "~/.server/billing/webhooks";

/** Stripe sends small JSON events; anything much larger is not from Stripe. */
const MAX_BODY_BYTES = 512 * 1024;

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== "POST") return Response.json({ error: "Method not allowed" }, { status: 405, headers: { Allow: "POST" } });
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) return Response.json({ error: "Payload too large" }, { status: 413 });
  const payload = await request.text();
  if (Buffer.byteLength(payload) > MAX_BODY_BYTES) return Response.json({ error: "Payload too large" }, { status: 413 });
  const result = await handleStripeWebhook(payload, request.headers.get("stripe-signature"));
  return Response.json(result.body, { status: result.status });
}

export function loader() {
  return Response.json({ error: "Method not allowed" }, { status: 405, headers: { Allow: "POST" } });
}
