/**
 * The token store of Meta connections (service path only: the vault is unreachable for
 * `authenticated`): the token of an active connection for sync, and "needs re-authorisation" when
 * Meta refuses it. Shared by the Node worker and the Supabase edge function (Deno), so it imports no
 * logger and no connection pool: callers pass their transaction and, to log, their logger.
 */
import type { Tx } from "../db/connection";
import { MetaApiError } from "./errors";
import { readSecret } from "./vault";

/** The slice of a logger markNeedsReauth uses (pino in Node, JSON lines on the edge). */
export interface WarnLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export type ConnectionStatus = "active" | "needs_reauth" | "disconnected";

/** Appends an audit entry. `actor` is null for events the system notices (a token Meta refused). */
export async function auditMeta(tx: Tx, agencyId: string, actor: string | null, action: string, target: Record<string, unknown>) {
  await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
    values (${agencyId}, ${actor}, ${action}, ${tx.json(target as never)})`;
}

/**
 * The token of an active connection, for sync. Throws MetaApiError token_invalid when the
 * connection needs re-authorisation, was disconnected or has no token: sync must not call Meta then.
 */
export async function getConnectionToken(tx: Tx, connectionId: string): Promise<string> {
  const [c] = await tx<{ status: ConnectionStatus; token_secret_id: string | null; token_expires_at: Date | null }[]>`
    select status, token_secret_id, token_expires_at from public.meta_connections where id = ${connectionId}`;
  if (!c) throw new MetaApiError("token_invalid", "Meta connection not found");
  if (c.status !== "active" || !c.token_secret_id) {
    throw new MetaApiError("token_invalid", c.status === "needs_reauth" ? "The Meta connection needs re-authorisation" : "The Meta connection is disconnected");
  }
  if (c.token_expires_at && c.token_expires_at.getTime() <= Date.now()) {
    throw new MetaApiError("token_invalid", "The Meta token has expired", { code: 190, subcode: 463 });
  }
  return readSecret(tx, c.token_secret_id);
}

/**
 * Meta refused the connection's token (190, revoked, expired): the connection and its accounts show
 * "needs re-authorisation" and sync stops using it until someone reconnects. Idempotent.
 */
export async function markNeedsReauth(tx: Tx, connectionId: string, reason: string, log?: WarnLog): Promise<void> {
  const safeReason = reason.slice(0, 300);
  const [c] = await tx<{ agency_id: string; workspace_id: string; was: ConnectionStatus }[]>`
    update public.meta_connections m set status = 'needs_reauth', status_reason = ${safeReason}, updated_at = now()
    from (select id, status from public.meta_connections where id = ${connectionId} for update) old
    where m.id = old.id and old.status = 'active'
    returning m.agency_id, m.workspace_id, old.status as was`;
  await tx`update public.ad_accounts set sync_status = 'needs_reauth', sync_error = ${safeReason}
    where connection_id = ${connectionId} and sync_status <> 'needs_reauth'`;
  if (c) {
    await auditMeta(tx, c.agency_id, null, "meta.needs_reauth", { connectionId, workspaceId: c.workspace_id, reason: safeReason });
    log?.warn({ connectionId, workspaceId: c.workspace_id }, "Meta connection needs re-authorisation");
  }
}
