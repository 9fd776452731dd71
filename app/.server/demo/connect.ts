/**
 * Demo mode: connects the demo workspaces to the built-in Meta emulator and queues their backfills.
 * Goes through the same paths a real agency uses (system-user token -> connection in the vault ->
 * attach ad accounts -> backfill job), so the demo exercises the product, not a shortcut.
 * Idempotent across restarts: existing connections are refreshed in place, attached accounts kept.
 */
import { asService } from "../db/connection";
import { logger } from "../logger";
import { attachAdAccount, connectSystemUser } from "../meta/connections";
import { requestSync } from "../sync/scheduler";

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
  for (const [slug, { currencies, reauth }] of Object.entries(PLAN)) {
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
    let token: string;
    {
      const tok = await emulatorJson<{ access_token: string }>(input.emulatorUrl, "/tokens", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ systemUser: true }),
      });
      token = tok.access_token;
      connectionId = (await connectSystemUser({ workspaceId, actorUserId: input.ownerUserId, token })).connectionId;
      await asService((tx) => tx`update public.ad_accounts set sync_status = 'pending', sync_error = null
        where connection_id = ${connectionId} and sync_status = 'needs_reauth'`);
    }
    if (reauth) {
      // attached while the token was good; from now on Meta answers 190 to it
      for (const metaAccountId of wanted.filter((m) => !state.accounts.some((a) => a.meta_account_id === m))) {
        await asService((tx) => attachAdAccount(tx, { workspaceId, connectionId, metaAccountId, actorUserId: input.ownerUserId }));
        attached++;
      }
      await emulatorJson(input.emulatorUrl, "/tokens/expire", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ access_token: token }) });
      const ids = await asService((tx) => tx<{ id: string }[]>`select id from public.ad_accounts where connection_id = ${connectionId}`);
      // ahead of the other backfills: it fails at its first call, and the state shows at once
      for (const { id } of ids) if (await requestSync(id, "backfill", { priority: 6 })) queued++;
      continue;
    }
    for (const metaAccountId of wanted) {
      const existing = state.accounts.find((a) => a.meta_account_id === metaAccountId);
      let adAccountId = existing?.id;
      if (!existing) {
        adAccountId = (await asService((tx) => attachAdAccount(tx, { workspaceId, connectionId, metaAccountId, actorUserId: input.ownerUserId }))).adAccountId;
        attached++;
      }
      // Queued after the attach committed (see attachAndBackfill); deduplicated per account.
      if (!existing?.backfilled_since && (await requestSync(adAccountId!, "backfill"))) queued++;
    }
  }
  log.info({ attached, queued }, "demo workspaces connected to the Meta emulator");
  return { attached, queued };
}
