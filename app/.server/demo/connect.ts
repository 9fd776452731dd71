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

/**
 * Which emulator accounts each demo client gets, by currency: Acme runs two (USD and EUR), Kumo is
 * JPY. Hudson Legal shows the state a client is in when Meta stops accepting its connection's token
 * (a password change, an expired session): its token is expired in the emulator right after the
 * account is attached, so its first sync meets Meta's error 190 and the product asks to reconnect,
 * through the same path a real expiry takes.
 */
const PLAN: Record<string, { currencies: string[]; reauth?: boolean }> = {
  "acme-outdoor": { currencies: ["USD", "EUR"] },
  "blue-harbor-coffee": { currencies: ["GBP"] },
  "kumo-tea": { currencies: ["JPY"] },
  "hudson-legal": { currencies: ["USD"], reauth: true },
};

async function emulatorJson<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}/__emulator${path}`, init);
  if (!res.ok) throw new Error(`The demo Meta emulator answered ${res.status} to ${path}`);
  return (await res.json()) as T;
}

export async function connectDemo(input: {
  emulatorUrl: string;
  workspaceIds: Record<string, string>;
  ownerUserId: string | null;
}): Promise<{ attached: number; queued: number }> {
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
  // Accounts are picked in PLAN order; the client needing re-authorisation is then connected first,
  // so its failing job is queued ahead of the backfills and its state shows within seconds.
  const plan = Object.entries(PLAN).map(([slug, p]) => ({ slug, reauth: !!p.reauth, wanted: p.currencies.map(pick) }));
  plan.sort((a, b) => Number(b.reauth) - Number(a.reauth));
  for (const { slug, reauth, wanted } of plan) {
    const workspaceId = input.workspaceIds[slug];
    if (!workspaceId) continue;
    const state = await asService(async (tx) => {
      const accounts = await tx<{ id: string; meta_account_id: string; backfilled_since: Date | null }[]>`
        select id, meta_account_id, backfilled_since from public.ad_accounts where workspace_id = ${workspaceId}`;
      return { accounts };
    });
    // A fresh system-user token every start: the emulator keeps tokens in memory only, so the one
    // stored last time means nothing to it now. Connecting again with the same Meta user reconnects
    // the existing connection in place (same id, accounts and history).
    let connectionId: string;
    let token: string;
    {
      const tok = await emulatorJson<{ access_token: string }>(input.emulatorUrl, "/tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ systemUser: true }),
      });
      token = tok.access_token;
      connectionId = (await connectSystemUser({ workspaceId, actorUserId: input.ownerUserId, token })).connectionId;
      await asService(
        (tx) => tx`update public.ad_accounts set sync_status = 'pending', sync_error = null
        where connection_id = ${connectionId} and sync_status = 'needs_reauth'`,
      );
    }
    if (reauth) {
      // attached (and its backfill queued) while the token was good; from now on Meta answers 190
      for (const metaAccountId of wanted) {
        const existing = state.accounts.find((a) => a.meta_account_id === metaAccountId);
        if (!existing) {
          if ((await attachAndQueue({ workspaceId, connectionId, metaAccountId, actorUserId: input.ownerUserId })).queued) queued++;
          attached++;
        } else if (await queueBackfill(existing.id)) queued++;
      }
      await emulatorJson(input.emulatorUrl, "/tokens/expire", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ access_token: token }),
      });
      continue;
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
