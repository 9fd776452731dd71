/**
 * Meta app callbacks, called by Meta (not by a browser) with a `signed_request`:
 *
 * - Deauthorize: the person removed our app. Their connections go to needs_reauth (the ad accounts
 *   stop syncing and the agency sees why), and their tokens are deleted from the vault: a token the
 *   person revoked must not stay with us.
 * - Data deletion: the person asks us to delete their data. We delete their connections, the tokens,
 *   and the link from a Spendlane user to their Facebook id, record the request under an unguessable
 *   confirmation code, and hand Meta a status URL for the person.
 *
 * Privileged path (asService): the caller is Meta, authenticated by the signature, not a user.
 */
import { createHash, randomBytes } from "node:crypto";
import { asService, asUser, type Tx } from "../db/connection";
import { env } from "../env";
import { logger } from "../logger";
import { deleteSecret } from "../meta/vault";
import { parseSignedRequest } from "./signed-request";

function facebookUserHash(facebookUserId: string) {
  return createHash("sha256").update(`meta-user\0${facebookUserId}`).digest("hex");
}

async function deleteSecrets(tx: Tx, ids: (string | null)[]) {
  let removed = 0;
  for (const id of ids) {
    if (!id) continue;
    await deleteSecret(tx, id);
    removed++;
  }
  return removed;
}

export async function handleDeauthorize(signedRequest: unknown): Promise<{ connections: number }> {
  const { user_id: facebookUserId } = parseSignedRequest(signedRequest, env().META_APP_SECRET);
  const result = await asService(async (tx) => {
    const rows = await tx<{ id: string; token_secret_id: string | null }[]>`
      select id, token_secret_id from public.meta_connections
      where facebook_user_id = ${facebookUserId} and status <> 'disconnected'
      for update`;
    if (!rows.length) return { connections: 0 };
    const ids = rows.map((r) => r.id);
    await tx`
      update public.meta_connections
      set status = 'needs_reauth', status_reason = 'The Facebook user removed the Spendlane app', token_secret_id = null,
          token_expires_at = null, updated_at = now()
      where id = any(${ids}::uuid[])`;
    await tx`update public.ad_accounts set sync_status = 'needs_reauth' where connection_id = any(${ids}::uuid[])`;
    await deleteSecrets(
      tx,
      rows.map((r) => r.token_secret_id),
    );
    return { connections: rows.length };
  });
  logger.info({ connections: result.connections }, "meta deauthorize processed");
  return result;
}

export async function handleDataDeletion(signedRequest: unknown, baseUrl: string): Promise<{ url: string; confirmation_code: string }> {
  const { user_id: facebookUserId } = parseSignedRequest(signedRequest, env().META_APP_SECRET);
  const code = randomBytes(18).toString("base64url");
  await asService(async (tx) => {
    await tx`insert into public.meta_deletion_requests (confirmation_code, facebook_user_hash) values (${code}, ${facebookUserHash(facebookUserId)})`;
    const rows = await tx<{ id: string; token_secret_id: string | null }[]>`
      delete from public.meta_connections where facebook_user_id = ${facebookUserId}
      returning id, token_secret_id`;
    const secrets = await deleteSecrets(
      tx,
      rows.map((r) => r.token_secret_id),
    );
    await tx`update public.users set facebook_user_id = null, facebook_linked_at = null, facebook_link_proven = false, updated_at = now()
      where facebook_user_id = ${facebookUserId}`;
    await tx`
      update public.meta_deletion_requests
      set status = 'completed', completed_at = now(), connections_removed = ${rows.length}, secrets_removed = ${secrets}
      where confirmation_code = ${code}`;
  });
  logger.info("meta data deletion processed");
  const origin = new URL(env().APP_URL ?? baseUrl).origin;
  return { url: `${origin}/meta/deletion/${code}`, confirmation_code: code };
}

export interface DeletionStatus {
  status: "pending" | "completed";
  requestedAt: Date;
  completedAt: Date | null;
  connectionsRemoved: number;
}

/** The status page reads one request by its code (anonymous; the code is the capability). */
export async function getDeletionStatus(code: string): Promise<DeletionStatus | null> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(code)) return null;
  const [row] = await asUser(
    null,
    (tx) => tx<{ status: DeletionStatus["status"]; requested_at: Date; completed_at: Date | null; connections_removed: number }[]>`
    select status, requested_at, completed_at, connections_removed from private.meta_deletion_status(${code})`,
  );
  return row ? { status: row.status, requestedAt: row.requested_at, completedAt: row.completed_at, connectionsRemoved: row.connections_removed } : null;
}
