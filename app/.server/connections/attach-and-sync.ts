/**
 * "Attach, then queue a sync": the one place that adds an ad account to a workspace and queues its
 * backfill, for the connections page, the CLI and the demo. The queueing happens after the attach
 * committed on purpose: a job must not point at a row that could still roll back, and on the embedded
 * engine (which serialises transactions) the queue's insert would wait for our open transaction forever.
 */
import { asService } from "../db/connection";
import { InputError, NotFoundError } from "../errors";
import { readAccountDetails, type AccountDetails } from "../meta/ad-accounts";
import { isMetaApiError } from "../meta/errors";
import { withConnectionClient } from "../meta/connection-client";
import type { ConnectionStatus } from "../meta/token-store";
import { requestSync } from "../sync/scheduler";
import { attachAdAccount, parseMetaAccountId, type AttachedAccount } from "./accounts";

interface AttachInput {
  workspaceId: string;
  connectionId: string;
  metaAccountId: string;
  actorUserId?: string | null;
}

/** Reads the account from Meta (outside any transaction), attaches it in its own transaction, then queues its backfill. */
export async function attachAndBackfill(input: AttachInput): Promise<AttachedAccount> {
  return (await attachAndQueue(input)).attached;
}

/** attachAndBackfill, also saying whether a backfill was queued (false: one was queued already). */
export async function attachAndQueue(input: AttachInput): Promise<{ attached: AttachedAccount; queued: boolean }> {
  const metaAccountId = parseMetaAccountId(input.metaAccountId);
  const [c] = await asService(
    (tx) => tx<{ status: ConnectionStatus }[]>`
    select status from public.meta_connections where id = ${input.connectionId} and workspace_id = ${input.workspaceId}`,
  );
  if (!c) throw new NotFoundError();
  if (c.status !== "active") throw new InputError("Reconnect Meta first: this connection is not active.");
  let details: AccountDetails;
  try {
    // withConnectionClient marks the connection needs_reauth (in its own transaction) on a 190.
    details = await withConnectionClient(input.connectionId, (graph) => readAccountDetails(graph, metaAccountId));
  } catch (err) {
    if (isMetaApiError(err, "token_invalid")) throw new InputError("Meta no longer accepts this connection's token. Reconnect Meta and try again.");
    if (isMetaApiError(err) && (err.kind === "invalid_request" || err.kind === "permission")) {
      throw new InputError(`This Meta login cannot read ${metaAccountId}. Check the id, or connect a login that has access to it.`, {
        account: "No access to this ad account",
      });
    }
    throw err;
  }
  const attached = await asService((tx) => attachAdAccount(tx, { ...input, metaAccountId }, details));
  return { attached, queued: await queueBackfill(attached.adAccountId) };
}

/** Queues the backfill of an account attached earlier whose backfill never finished (deduplicated per account). */
export async function queueBackfill(adAccountId: string): Promise<boolean> {
  return (await requestSync(adAccountId, "backfill")) !== null;
}
