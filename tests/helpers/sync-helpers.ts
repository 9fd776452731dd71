/**
 * Shared set-up for the sync tests: an in-process Meta emulator, a tenant whose workspace is
 * connected to it (token in the vault), ad accounts mirroring emulator accounts, and an exactness
 * check of stored facts against the emulator's ground truth.
 */
import { asService, sql } from "../../app/.server/db/connection";
import { storeSecret, readSecret } from "../../app/.server/meta/vault";
import { GraphClient } from "../../app/.server/meta/graph";
import { RateGovernor } from "../../app/.server/meta/governor";
import { DEFAULT_META_API_VERSION } from "../../app/.server/meta/versions";
import { runSync, type SyncDeps, type SyncRequest } from "../../app/.server/sync/runner";
import { backfillStart, accountToday } from "../../app/.server/sync/planner";
import { startEmulator, DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";
import { createAgencyFixture } from "./factories";

export const NOW = new Date("2026-11-20T15:00:00Z");

export async function emulator(opts: Parameters<typeof startEmulator>[0] = {}): Promise<RunningEmulator> {
  return startEmulator({
    port: 0,
    seed: "sync-tests",
    now: NOW,
    asyncJob: { mode: "polls", pollsToComplete: 2 },
    limits: {
      accountScore: { max: 100000 },
      buc: { ads_insights: 100000, ads_management: 100000 },
      app: { maxCalls: 1000000 },
      burst: { perSecond: 0 },
    },
    ...opts,
  });
}

export async function control<T = any>(emu: RunningEmulator, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${emu.url}/__emulator${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${JSON.stringify(json)}`);
  return json as T;
}

export interface ConnectedTenant {
  agencyId: string;
  agencySlug: string;
  workspaceId: string;
  workspaceSlug: string;
  users: { owner: string; member: string; viewer: string };
  connectionId: string;
  token: string;
  accounts: { id: string; metaAccountId: string; currency: string; timezone: string }[];
}

/** A workspace connected to the emulator with the given emulator accounts ("act_..."), or the first `n`. */
export async function connectTenant(emu: RunningEmulator, opts: { accounts?: string[]; n?: number; backfillMonths?: number } = {}): Promise<ConnectedTenant> {
  const { agency, workspaces, owner, member, viewer } = await createAgencyFixture({ workspaces: 1 });
  const workspaceId = workspaces[0]!.id;
  const tok = await control<{ access_token: string; user_id: string }>(emu, "POST", "/tokens", { systemUser: true });
  const world = await control<{ accounts: { id: string; name: string; currency: string; timezone_name: string; account_status: number }[] }>(
    emu,
    "GET",
    "/world",
  );
  const wanted =
    opts.accounts ??
    world.accounts
      .filter((a) => a.account_status === 1)
      .slice(0, opts.n ?? 1)
      .map((a) => a.id);
  return asService(async (tx) => {
    const secretId = await storeSecret(tx, tok.access_token);
    const [conn] = await tx<{ id: string }[]>`
      insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, token_secret_id, scopes)
      values (${agency.id}, ${workspaceId}, 'system_user', ${tok.user_id}, ${secretId}, '{ads_read}') returning id`;
    const accounts = [];
    for (const id of wanted) {
      const a = world.accounts.find((x) => x.id === id)!;
      const [row] = await tx<{ id: string }[]>`
        insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, account_status, backfill_months)
        values (${agency.id}, ${workspaceId}, ${conn!.id}, ${a.id}, ${a.name}, ${a.currency}, ${a.timezone_name}, ${a.account_status}, ${opts.backfillMonths ?? 13})
        returning id`;
      accounts.push({ id: row!.id, metaAccountId: a.id, currency: a.currency, timezone: a.timezone_name });
    }
    return {
      agencyId: agency.id,
      agencySlug: agency.slug as string,
      workspaceId,
      workspaceSlug: workspaces[0]!.slug as string,
      users: { owner: owner.id, member: member.id, viewer: viewer.id },
      connectionId: conn!.id,
      token: tok.access_token,
      accounts,
    };
  });
}

/** Sync dependencies pointed at the emulator, with fast retries and polls for tests. */
export function testDeps(
  emu: Pick<RunningEmulator, "url">,
  overrides: Partial<SyncDeps> & { governor?: RateGovernor; maxRetries?: number; graphTimeoutMs?: number } = {},
): SyncDeps {
  const governor = overrides.governor ?? new RateGovernor({ pauseMs: 200, slowIntervalMs: 5 });
  return {
    sql: sql(),
    graphFor: (token) =>
      new GraphClient({
        accessToken: token,
        graphUrl: emu.url,
        appSecret: DEFAULT_APP_SECRET,
        version: DEFAULT_META_API_VERSION,
        governor,
        retryBaseMs: 5,
        retryMaxDelayMs: 50,
        maxRetries: overrides.maxRetries ?? 4,
        maxRateLimitWaitMs: 5_000,
        // the production bound: a big page from the in-process emulator took over 3 s beside two
        // other suites, and the sync gave up on it ("Meta API request timed out")
        timeoutMs: overrides.graphTimeoutMs ?? 30_000,
      }),
    getToken: async (tx, connectionId) => {
      const [c] = await tx<
        { token_secret_id: string | null; status: string }[]
      >`select token_secret_id, status from public.meta_connections where id = ${connectionId}`;
      if (!c?.token_secret_id) throw new Error("connection has no token");
      return readSecret(tx, c.token_secret_id);
    },
    markNeedsReauth: async (tx, connectionId, reason) => {
      await tx`update public.meta_connections set status = 'needs_reauth', status_reason = ${reason}, updated_at = now() where id = ${connectionId}`;
    },
    now: () => NOW,
    asyncPollMinMs: 5,
    asyncPollMaxMs: 20,
    leaseMs: 10_000,
    // Meta asks for a minute; tests do not sit that out unless they say so (the run pauses instead).
    maxRateLimitWaitMs: 2_000,
    // Audience breakdowns (~10x the rows) only where a test asks for them (drilldown-truth.test.ts).
    breakdownHistoryDays: 0,
    ...overrides,
  };
}

export function sync(emu: RunningEmulator, req: SyncRequest, overrides: Parameters<typeof testDeps>[1] = {}) {
  return runSync(testDeps(emu, overrides), req);
}

/** "12.3400" and "12.34" are the same amount; compare decimals exactly as normalised strings. */
export function dec(s: string | number): string {
  const t = String(s);
  if (!t.includes(".")) return t;
  return t.replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * Compares stored rows of an account with the emulator's daily truth over [since, until]:
 * returns a list of differences (empty = exact to the cent for every campaign, day and platform).
 */
export async function diffAgainstTruth(emu: RunningEmulator, adAccountId: string, metaAccountId: string, since: string, until: string): Promise<string[]> {
  const truth = await control<{ rows: any[] } | any[]>(emu, "GET", `/truth/daily?account=${metaAccountId}&since=${since}&until=${until}`);
  const list: any[] = Array.isArray(truth) ? truth : (truth as any).rows;
  const stored = await sql()<any[]>`
    select meta_campaign_id, to_char(date, 'YYYY-MM-DD') as date, publisher_platform, spend::text, impressions::text,
           clicks::text, link_clicks::text, conversions::text, conversion_value::text
    from public.insights_daily where ad_account_id = ${adAccountId} and date between ${since} and ${until}`;
  const byKey = new Map(stored.map((r) => [`${r.meta_campaign_id}|${r.date}|${r.publisher_platform}`, r]));
  const diffs: string[] = [];
  for (const t of list) {
    const key = `${t.campaign_id}|${t.date}|${t.publisher_platform}`;
    const s = byKey.get(key);
    byKey.delete(key);
    if (!s) {
      diffs.push(`missing ${key}`);
      continue;
    }
    const pairs: [string, string, string][] = [
      ["spend", dec(s.spend), dec(t.spend)],
      ["impressions", s.impressions, String(t.impressions)],
      ["clicks", s.clicks, String(t.clicks)],
      ["link_clicks", s.link_clicks, String(t.inline_link_clicks)],
      ["conversions", dec(s.conversions), dec(t.conversions)],
      ["conversion_value", dec(s.conversion_value), dec(t.conversion_value)],
    ];
    for (const [f, a, b] of pairs) if (a !== b) diffs.push(`${key} ${f}: stored ${a}, truth ${b}`);
  }
  for (const k of byKey.keys()) diffs.push(`extra ${k}`);
  return diffs;
}

export function backfillWindow(timezone: string, months = 13) {
  const today = accountToday(timezone, NOW);
  return { since: backfillStart(today, months), until: today };
}
