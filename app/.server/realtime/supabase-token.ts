/**
 * Short-lived Supabase Realtime tokens for the signed-in user (ADR 0110). Supabase Realtime verifies
 * them with the project's JWT secret and evaluates our realtime.messages policy with their claims
 * (`sub` = our user id, `role` = authenticated), so a token says who the user is and RLS decides what
 * they may hear, exactly as for asUser. Membership changes apply when the browser next refreshes the
 * token (at half its life), or when it expires.
 *
 * The token is also a valid `authenticated` JWT for the project's Data API; RLS and grants limit it
 * there to what the same user reads through the app.
 */
import { SignJWT } from "jose";
import { env } from "../env";

export interface RealtimeConfig {
  url: string;
  anonKey: string;
}

/** The public part of the Supabase configuration, or null when this deployment does not use Realtime. */
export function realtimeConfig(): RealtimeConfig | null {
  const e = env();
  if (!e.SUPABASE_URL || !e.SUPABASE_ANON_KEY || !e.SUPABASE_JWT_SECRET) return null;
  return { url: e.SUPABASE_URL, anonKey: e.SUPABASE_ANON_KEY };
}

export async function mintRealtimeToken(userId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const e = env();
  if (!e.SUPABASE_JWT_SECRET) throw new Error("Supabase Realtime is not configured");
  const iat = Math.floor(now / 1000);
  const exp = iat + e.SUPABASE_REALTIME_TOKEN_SECONDS;
  const token = await new SignJWT({ role: "authenticated" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setAudience("authenticated")
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(e.SUPABASE_JWT_SECRET));
  return { token, expiresAt: exp * 1000 };
}
