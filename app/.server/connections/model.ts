/**
 * Meta connections of a client workspace: connecting (OAuth or a pasted system-user token),
 * attaching ad accounts, token health, re-authorisation and disconnecting.
 *
 * Who may do what is decided before we get here (route guards: owners and admins manage
 * connections) and again by RLS where the request path reads (`asUser`). Tokens are written and read
 * only on the service path (`asService`), because the vault is unreachable for `authenticated`.
 * Meta is called outside database transactions where the API allows it (the embedded engine
 * serialises transactions, so a slow Meta answer must not hold one open).
 *
 * This module: what a connection looks like to the product (kinds, health, input schemas). The token
 * store and Graph calls are meta/ (a leaf); reads, connecting, ad accounts and "attach, then sync"
 * are this folder's other modules.
 */
import { z } from "zod";
import type { ConnectionStatus } from "../meta/token-store";

export type { ConnectionStatus };

/** A token that expires within this window shows "needs re-authorisation" already. */
export const REAUTH_WARNING_MS = 7 * 24 * 60 * 60_000;

export type ConnectionKind = "oauth" | "system_user";
export type ConnectionHealth = "ok" | "needs_reauth" | "disconnected";

export interface ConnectionView {
  id: string;
  kind: ConnectionKind;
  facebookUserId: string | null;
  facebookUserName: string | null;
  status: ConnectionStatus;
  statusReason: string | null;
  tokenExpiresAt: Date | null;
  scopes: string[];
  createdAt: Date;
  health: ConnectionHealth;
  /** why the health is what it is, for the UI */
  healthReason: string | null;
  adAccounts: { id: string; metaAccountId: string; name: string; currency: string; timezoneName: string; syncStatus: string }[];
}

export const metaAccountIdSchema = z
  .string()
  .trim()
  .transform((v) => (/^\d+$/.test(v) ? `act_${v}` : v))
  .pipe(z.string().regex(/^act_\d{1,32}$/, "Use an ad account id like act_123456789"));

export const tokenInputSchema = z
  .string({ error: "Paste the token" })
  .trim()
  .min(20, "That does not look like a Meta access token")
  .max(2048, "That does not look like a Meta access token")
  .regex(/^[A-Za-z0-9_|.-]+$/, "That does not look like a Meta access token");

/** ok / needs re-authorisation (status, or expiry within 7 days) / disconnected. */
export function connectionHealth(
  c: { status: ConnectionStatus; token_expires_at: Date | null; status_reason?: string | null },
  now = new Date(),
): { health: ConnectionHealth; reason: string | null } {
  if (c.status === "disconnected") return { health: "disconnected", reason: null };
  if (c.status === "needs_reauth") return { health: "needs_reauth", reason: c.status_reason ?? "Meta no longer accepts this connection's token" };
  if (c.token_expires_at && c.token_expires_at.getTime() - now.getTime() <= REAUTH_WARNING_MS) {
    const expired = c.token_expires_at.getTime() <= now.getTime();
    return { health: "needs_reauth", reason: expired ? "The Meta token has expired" : "The Meta token expires within 7 days" };
  }
  return { health: "ok", reason: null };
}
