/**
 * Ad accounts of a workspace: attaching one (read from Meta with the connection's token), detaching,
 * and disconnecting a connection. Service path; the caller has checked that the actor may manage the
 * workspace. Queueing the backfill after an attach is attach-and-sync.ts's job.
 */
import { asService, type Tx } from "../db/connection";
import { env } from "../env";
import { InputError, NotFoundError } from "../errors";
import { assertWritable } from "../billing/limits";
import { listMetaAdAccounts, readAccountDetails, type AccountDetails, type MetaAdAccount } from "../meta/ad-accounts";
import { graphClientFromEnv } from "../meta/graph";
import { withConnectionClient } from "../meta/connection-client";
import { auditMeta, getConnectionToken, type ConnectionStatus } from "../meta/token-store";
import { deleteSecret } from "../meta/vault";
import { metaAccountIdSchema } from "./model";

/** Ad accounts a connection can read, for the picker (workspace checked so ids cannot be mixed). */
export async function listAvailableAdAccounts(workspaceId: string, connectionId: string): Promise<MetaAdAccount[]> {
  const [c] = await asService(
    (tx) => tx<{ id: string }[]>`
    select id from public.meta_connections where id = ${connectionId} and workspace_id = ${workspaceId}`,
  );
  if (!c) throw new NotFoundError();
  return withConnectionClient(connectionId, listMetaAdAccounts);
}

/**
 * Reads the ad account from Meta with the connection's token and adds it to the workspace (unique
 * per workspace). An account left behind by a disconnected or expired connection is moved over to
 * this one instead. Service path (reads the token); the caller has checked that the actor may manage
 * the workspace. Does not queue the backfill: see attachAndBackfill.
 *
 * `details` lets the caller read the account from Meta before opening the transaction (what
 * attachAndBackfill does). When Meta refuses the token here, a MetaApiError token_invalid is thrown
 * and the caller marks the connection after its transaction rolled back (markNeedsReauth).
 */
export async function attachAdAccount(
  tx: Tx,
  input: { workspaceId: string; connectionId: string; metaAccountId: string; actorUserId?: string | null },
  details?: AccountDetails,
): Promise<AttachedAccount> {
  const metaAccountId = parseMetaAccountId(input.metaAccountId);
  const [c] = await tx<{ agency_id: string; status: ConnectionStatus }[]>`
    select agency_id, status from public.meta_connections where id = ${input.connectionId} and workspace_id = ${input.workspaceId}`;
  if (!c) throw new NotFoundError();
  if (c.status !== "active") throw new InputError("Reconnect Meta first: this connection is not active.");
  await assertWritable(tx, c.agency_id);
  const acct = details ?? (await readAccountDetails(graphClientFromEnv(await getConnectionToken(tx, input.connectionId)), metaAccountId));
  if (acct.id !== metaAccountId) throw new InputError("Meta answered with a different ad account; nothing was attached.");
  const attribution = acct.attribution_spec?.length ? JSON.stringify(acct.attribution_spec) : null;
  const [existing] = await tx<{ id: string; connection_id: string | null; connection_status: ConnectionStatus | null }[]>`
    select a.id, a.connection_id, m.status as connection_status from public.ad_accounts a
    left join public.meta_connections m on m.id = a.connection_id
    where a.workspace_id = ${input.workspaceId} and a.meta_account_id = ${acct.id} for update of a`;
  let adAccountId: string;
  if (existing) {
    if (existing.connection_id === input.connectionId || existing.connection_status === "active") {
      throw new InputError(`${acct.id} is already attached to this client.`, { account: "Already attached" });
    }
    // Same account, new login: keep its history and continue syncing with the new connection.
    await tx`update public.ad_accounts set connection_id = ${input.connectionId}, name = ${acct.name}, account_status = ${acct.account_status ?? null},
      attribution_setting = ${attribution}, sync_status = 'pending', sync_error = null where id = ${existing.id}`;
    adAccountId = existing.id;
  } else {
    const [row] = await tx<{ id: string }[]>`
      insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status,
        attribution_setting, backfill_months)
      values (${c.agency_id}, ${input.workspaceId}, ${input.connectionId}, ${acct.id}, ${acct.name}, ${acct.currency}, ${acct.timezone_name},
        ${acct.account_status ?? null}, ${attribution}, ${env().BACKFILL_MONTHS})
      returning id`;
    adAccountId = row.id;
  }
  await auditMeta(tx, c.agency_id, input.actorUserId ?? null, "meta.attach", {
    adAccountId,
    metaAccountId: acct.id,
    name: acct.name,
    workspaceId: input.workspaceId,
    connectionId: input.connectionId,
    ...(existing ? { reattached: true } : {}),
  });
  return { adAccountId, metaAccountId: acct.id, name: acct.name, currency: acct.currency, timezone: acct.timezone_name };
}

export function parseMetaAccountId(v: string): string {
  const parsed = metaAccountIdSchema.safeParse(v);
  if (!parsed.success) throw new InputError(parsed.error.issues[0].message, { account: parsed.error.issues[0].message });
  return parsed.data;
}

export interface AttachedAccount {
  adAccountId: string;
  metaAccountId: string;
  name: string;
  currency: string;
  timezone: string;
}

/** Removes an ad account from the workspace together with its stored numbers (cascade). */
export async function detachAdAccount(tx: Tx, input: { workspaceId: string; adAccountId: string; actorUserId: string | null }): Promise<void> {
  const [row] = await tx<{ agency_id: string; meta_account_id: string; name: string }[]>`
    delete from public.ad_accounts where id = ${input.adAccountId} and workspace_id = ${input.workspaceId}
    returning agency_id, meta_account_id, name`;
  if (!row) throw new NotFoundError();
  await auditMeta(tx, row.agency_id, input.actorUserId, "meta.detach", {
    adAccountId: input.adAccountId,
    metaAccountId: row.meta_account_id,
    name: row.name,
    workspaceId: input.workspaceId,
  });
}

/**
 * Disconnect: our copy of the token is deleted and the connection marked disconnected. The stored
 * numbers stay (the accounts stop syncing) unless `deleteData`, which deletes the workspace's ad
 * accounts and, by cascade, everything synced for them.
 */
export async function disconnect(
  tx: Tx,
  input: { workspaceId: string; connectionId: string; deleteData: boolean; actorUserId: string | null },
): Promise<{ deletedAccounts: number }> {
  const [c] = await tx<{ agency_id: string; token_secret_id: string | null; status: ConnectionStatus }[]>`
    select agency_id, token_secret_id, status from public.meta_connections
    where id = ${input.connectionId} and workspace_id = ${input.workspaceId} for update`;
  if (!c) throw new NotFoundError();
  await tx`update public.meta_connections set status = 'disconnected', token_secret_id = null, status_reason = null, updated_at = now()
    where id = ${input.connectionId}`;
  if (c.token_secret_id) await deleteSecret(tx, c.token_secret_id);
  let deletedAccounts = 0;
  if (input.deleteData) {
    const rows = await tx`delete from public.ad_accounts where workspace_id = ${input.workspaceId} returning id`;
    deletedAccounts = rows.length;
  } else {
    await tx`update public.ad_accounts set sync_status = 'paused', sync_error = 'Meta connection removed'
      where connection_id = ${input.connectionId}`;
  }
  await auditMeta(tx, c.agency_id, input.actorUserId, "meta.disconnect", {
    connectionId: input.connectionId,
    workspaceId: input.workspaceId,
    deleteData: input.deleteData,
    deletedAccounts,
  });
  return { deletedAccounts };
}

/** detachAdAccount in its own service transaction (the connections page). */
export function removeAdAccount(input: { workspaceId: string; adAccountId: string; actorUserId: string | null }): Promise<void> {
  return asService((tx) => detachAdAccount(tx, input));
}

/** disconnect in its own service transaction (the connections page). */
export function disconnectConnection(input: { workspaceId: string; connectionId: string; deleteData: boolean; actorUserId: string | null }) {
  return asService((tx) => disconnect(tx, input));
}
