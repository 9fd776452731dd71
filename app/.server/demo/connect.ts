/**
 * Demo mode: connects the demo workspaces to the built-in Meta emulator and queues their backfills.
 * Goes through the same paths a real agency uses (system-user token -> connection in the vault ->
 * attach ad accounts -> backfill job), so the demo exercises the product, not a shortcut.
 * Idempotent across restarts: existing connections are refreshed in place, attached accounts kept.
 */
import { asService } from "../db/connection";
import { logger } from "../logger";
import { attachAndQueue, queueBackfill } from "../connections/attach-and-sync";
import { connectSystemUser } from "../connections/connect";

const log = logger.child({ module: "demo" });

interface WorldAccount {
  id: string;
  currency: string;
  account_status: number;
}

/** Which emulator accounts each demo client gets, by currency: Acme runs two (USD and EUR), Kumo is JPY. */
const PLAN: Record<string, string[]> = {
  "acme-outdoor": ["USD", "EUR"],
  "blue-harbor-coffee": ["GBP"],
  "kumo-tea": ["JPY"],
};

async function emulatorJson<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}/__emulator${path}`, init);
  if (!res.ok) throw new Error(`The demo Meta emulator answered ${res.status} to ${path}`);
  return (await res.json()) as T;
}

export async function connectDemo(input: { emulatorUrl: string; workspaceIds: Record<string, string>; ownerUserId: string | null }): Promise<{ attached: number; queued: number }> {
  const world = await emulatorJson<{ accounts: WorldAccount[] }>(input.emulatorUrl, "/world");
  const used = new Set<string>();
  const pick = (currency: string) => {
    const a = world.accounts.find((x) => x.currency === currency && x.account_status === 1 && !used.has(x.id));
    if (!a) throw new Error(`The demo emulator has no active ${currency} ad account`);
    used.add(a.id);
    return a.id;
  };
  let attached = 0;
  let queued = 0;
  for (const [slug, currencies] of Object.entries(PLAN)) {
    const workspaceId = input.workspaceIds[slug];
    if (!workspaceId) continue;
    const wanted = currencies.map(pick);
    const state = await asService(async (tx) => {
      const accounts = await tx<{ id: string; meta_account_id: string; backfilled_since: Date | null }[]>`
        select id, meta_account_id, backfilled_since from public.ad_accounts where workspace_id = ${workspaceId}`;
      return { accounts };
    });
    // A fresh system-user token every start: the emulator keeps tokens in memory only, so the one
    // stored last time means nothing to it now. Connecting again with the same Meta user reconnects
    // the existing connection in place (same id, accounts and history).
    let connectionId: string;
    {
      const tok = await emulatorJson<{ access_token: string }>(input.emulatorUrl, "/tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ systemUser: true }),
      });
      connectionId = (await connectSystemUser({ workspaceId, actorUserId: input.ownerUserId, token: tok.access_token })).connectionId;
      await asService((tx) => tx`update public.ad_accounts set sync_status = 'pending', sync_error = null
        where connection_id = ${connectionId} and sync_status = 'needs_reauth'`);
    }
    for (const metaAccountId of wanted) {
      const existing = state.accounts.find((a) => a.meta_account_id === metaAccountId);
      if (!existing) {
        // The same path as the connections page: attach, then queue the backfill.
        if ((await attachAndQueue({ workspaceId, connectionId, metaAccountId, actorUserId: input.ownerUserId })).queued) queued++;
        attached++;
      } else if (!existing.backfilled_since && (await queueBackfill(existing.id))) {
        // Attached on an earlier start whose backfill never finished: queue it again (deduplicated).
        queued++;
      }
    }
  }
  log.info({ attached, queued }, "demo workspaces connected to the Meta emulator");
  return { attached, queued };
}
