/**
 * A workspace's choice of attribution windows for conversions (ADR 0071): stored on the workspace
 * (request path, under RLS: owners and admins), then every ad account of the workspace re-reads its
 * conversions under the new windows (a `conversions` sync; spend is not re-read). Until that re-sync
 * has rewritten every stored day, reports withhold conversions that would mix windows.
 */
import { asUser } from "../db/connection";
import { ForbiddenError, InputError, NotFoundError } from "../errors";
import { assertWritable } from "../billing/limits";
import { logger } from "../logger";
import { parseAttributionChoice, type AttributionChoice } from "../meta/attribution";
import { requestSync } from "./scheduler";

const log = logger.child({ module: "sync.attribution" });

export interface AttributionChange {
  choice: AttributionChoice;
  changed: boolean;
  /** ad accounts whose conversions re-sync was queued now (others are picked up by the scheduler tick) */
  queued: number;
}

/**
 * Sets the workspace's windows ("" for each ad account's own setting). Bad input is an InputError and
 * changes nothing; a user who may not edit the workspace gets ForbiddenError (RLS decides).
 */
export async function setWorkspaceAttribution(
  userId: string,
  workspaceId: string,
  input: string,
  opts: { queue?: (adAccountId: string) => Promise<unknown> } = {},
): Promise<AttributionChange> {
  let choice: AttributionChoice;
  try {
    choice = parseAttributionChoice(input);
  } catch (err) {
    throw new InputError((err as Error).message, { attribution: (err as Error).message });
  }
  const { changed, accounts } = await asUser(userId, async (tx) => {
    const [ws] = await tx<{ agency_id: string; attribution_windows: string[] | null }[]>`
      select agency_id, attribution_windows from public.workspaces where id = ${workspaceId}`;
    if (!ws) throw new NotFoundError();
    const before = (ws.attribution_windows ?? []).join(",");
    const after = (choice ?? []).join(",");
    if (before === after) return { changed: false, accounts: [] as { id: string }[] };
    // a read-only agency (billing) keeps its data, but a change that needs a re-sync waits for the upgrade
    await assertWritable(tx, ws.agency_id);
    const updated =
      await tx`update public.workspaces set attribution_windows = ${choice}, attribution_changed_at = now() where id = ${workspaceId} returning id`;
    if (updated.count === 0) throw new ForbiddenError("Only owners and admins can change the attribution window.");
    await tx`insert into public.audit_log (agency_id, actor_user_id, action, target)
      values (${ws.agency_id}, ${userId}, 'workspace.attribution', ${tx.json({ workspaceId, from: before || "account_default", to: after || "account_default" })})`;
    const accounts = await tx<{ id: string }[]>`select id from public.ad_accounts where workspace_id = ${workspaceId}`;
    return { changed: true, accounts };
  });
  let queued = 0;
  const queue = opts.queue ?? ((id: string) => requestSync(id, "conversions"));
  for (const a of accounts) {
    try {
      if (await queue(a.id)) queued++;
    } catch (err) {
      // the scheduler's tick finds accounts whose stored windows differ from the choice (due.ts)
      log.warn({ err, adAccountId: a.id, workspaceId }, "could not queue the conversions re-sync now; the scheduler will");
    }
  }
  log.info({ workspaceId, choice: choice ?? "account_default", accounts: accounts.length, queued }, "attribution windows changed");
  return { choice, changed, queued };
}

/** The workspace's stored choice as the settings form's value ("" = each ad account's own setting). */
export async function getWorkspaceAttribution(userId: string, workspaceId: string): Promise<string> {
  const [ws] = await asUser(
    userId,
    (tx) => tx<{ attribution_windows: string[] | null }[]>`
    select attribution_windows from public.workspaces where id = ${workspaceId}`,
  );
  if (!ws) throw new NotFoundError();
  return (ws.attribution_windows ?? []).join(",");
}
