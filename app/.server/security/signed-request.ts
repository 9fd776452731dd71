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
  issued_at: z.number().int().optional(),
  expires: z.number().int().optional(),
});
export type SignedRequestPayload = z.infer<typeof payloadSchema>;

const B64URL = /^[A-Za-z0-9_-]+$/;

export function parseSignedRequest(signedRequest: unknown, appSecret: string | undefined): SignedRequestPayload {
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
  return parsed.data;
}

/** Makes a signed_request (tests, and the CLI's callback check). */
export function signRequest(payload: Record<string, unknown>, appSecret: string): string {
  const encoded = Buffer.from(JSON.stringify({ algorithm: "HMAC-SHA256", ...payload })).toString("base64url");
  const sig = createHmac("sha256", appSecret).update(encoded).digest("base64url");
  return `${sig}.${encoded}`;
}
