/**
 * The Deno wiring of the sync core (the same planner/runner/upsert modules the Node worker runs):
 * a Graph client without the Node env module, and the token store the Node worker uses (tokens
 * from the vault, the needs-reauth flag). Kept free of pino, pg-boss and Remix.
 */
import postgres from "postgres";
import { GraphClient } from "../../../app/.server/meta/graph.ts";
import { RateGovernor } from "../../../app/.server/meta/governor.ts";
import { getConnectionToken, markNeedsReauth } from "../../../app/.server/meta/token-store.ts";
import type { SyncDeps } from "../../../app/.server/sync/runner.ts";
import { DEFAULT_META_API_VERSION } from "../../../app/.server/meta/versions.ts";

export interface FunctionConfig {
  databaseUrl: string;
  graphUrl: string;
  apiVersion: string;
  appSecret?: string;
}

/** The function's own environment schema: read once, with clear errors for what is missing. */
export function configFromEnv(get: (k: string) => string | undefined = (k) => Deno.env.get(k)): FunctionConfig {
  const databaseUrl = get("SUPABASE_DB_URL") ?? get("DATABASE_URL");
  if (!databaseUrl) throw new Error("meta-sync needs SUPABASE_DB_URL (or DATABASE_URL)");
  const apiVersion = get("META_API_VERSION") ?? DEFAULT_META_API_VERSION;
  if (!/^v\d+\.\d+$/.test(apiVersion)) throw new Error(`META_API_VERSION must look like ${DEFAULT_META_API_VERSION}`);
  return { databaseUrl, graphUrl: get("META_GRAPH_URL") ?? "https://graph.facebook.com", apiVersion, appSecret: get("META_APP_SECRET") };
}

export function connect(cfg: FunctionConfig) {
  // Supabase's pooler runs in transaction mode: no prepared statements across transactions.
  return postgres(cfg.databaseUrl, { max: 3, prepare: false, onnotice: () => {}, connection: { application_name: "spendlane-meta-sync" } });
}

export function denoSyncDeps(cfg: FunctionConfig, sql: ReturnType<typeof connect>, overrides: Partial<SyncDeps> = {}): SyncDeps {
  const governor = new RateGovernor();
  const log: SyncDeps["log"] = {
    info: (o, m) => console.log(JSON.stringify({ level: "info", msg: m, ...o })),
    warn: (o, m) => console.warn(JSON.stringify({ level: "warn", msg: m, ...o })),
  };
  return {
    sql,
    graphFor: (token) => new GraphClient({ accessToken: token, appSecret: cfg.appSecret, graphUrl: cfg.graphUrl, version: cfg.apiVersion, governor }),
    // The same token store as the Node worker: expiry checked, the needs-reauth flip audited.
    getToken: (tx, connectionId) => getConnectionToken(tx, connectionId),
    markNeedsReauth: (tx, connectionId, reason) => markNeedsReauth(tx, connectionId, reason, log),
    log,
    // An edge invocation has a wall-clock limit: sit out short rate-limit waits only.
    maxRateLimitWaitMs: 30_000,
    ...overrides,
  };
}
