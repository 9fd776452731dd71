/**
 * Meta's `signed_request` (deauthorize and data-deletion callbacks): `<signature>.<payload>`, both
 * base64url without padding, where signature = HMAC-SHA256(payload as sent, app secret). We check the
 * algorithm, recompute the HMAC over the encoded payload exactly as received, and compare in constant
 * time. Anything malformed is an InputError (400) and nothing changes.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { InputError } from "../errors";

const payloadSchema = z.object({
  algorithm: z.string(),
  user_id: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, "user_id is not a Facebook user id"),
  issued_at: z.number().int(),
  expires: z.number().int().optional(),
});
export type SignedRequestPayload = z.infer<typeof payloadSchema>;

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Freshness: Meta signs each callback when it sends it, so an old (or future-dated) signed_request is
 * a replay or a forgery with a leaked one. One hour matches the `expires` Meta puts in data-deletion
 * payloads; five minutes of clock skew either way.
 */
export const SIGNED_REQUEST_MAX_AGE_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 300;

export function parseSignedRequest(signedRequest: unknown, appSecret: string | undefined, now: Date = new Date()): SignedRequestPayload {
  if (!appSecret) throw new Error("META_APP_SECRET is not configured");
  if (typeof signedRequest !== "string" || signedRequest.length > 8192) throw new InputError("signed_request is missing");
  const parts = signedRequest.split(".");
  if (parts.length !== 2 || !B64URL.test(parts[0]) || !B64URL.test(parts[1])) throw new InputError("signed_request is malformed");
  const [encodedSig, encodedPayload] = parts;
  const given = Buffer.from(encodedSig, "base64url");
  const expected = createHmac("sha256", appSecret).update(encodedPayload).digest();
  // timingSafeEqual needs equal lengths; the length of a valid HMAC is public anyway.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InputError("signed_request signature does not match");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encodedPayload, "base64url").toString("utf8"));
  } catch {
    throw new InputError("signed_request payload is not JSON");
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) throw new InputError("signed_request payload is incomplete");
  if (parsed.data.algorithm.toUpperCase() !== "HMAC-SHA256") throw new InputError("signed_request uses an unsupported algorithm");
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { issued_at: issuedAt, expires } = parsed.data;
  if (issuedAt > nowSeconds + CLOCK_SKEW_SECONDS) throw new InputError("signed_request is issued in the future");
  if (issuedAt < nowSeconds - SIGNED_REQUEST_MAX_AGE_SECONDS - CLOCK_SKEW_SECONDS) throw new InputError("signed_request is too old");
  if (expires !== undefined && expires + CLOCK_SKEW_SECONDS < nowSeconds) throw new InputError("signed_request has expired");
  return parsed.data;
}

/** Makes a signed_request (tests, and the CLI's callback check), issued now unless the payload says otherwise. */
export function signRequest(payload: Record<string, unknown>, appSecret: string): string {
  const body = { algorithm: "HMAC-SHA256", issued_at: Math.floor(Date.now() / 1000), ...payload };
  const encoded = Buffer.from(JSON.stringify(body)).toString("base64url");
  const sig = createHmac("sha256", appSecret).update(encoded).digest("base64url");
  return `${sig}.${encoded}`;
}
