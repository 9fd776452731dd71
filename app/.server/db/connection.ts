/**
 * The one module that owns database connections (through the `postgres` client).
 *
 * - `asUser(userId, fn)`: every request-path read or write. A transaction that sets
 *   `request.jwt.claims` and `role authenticated`, so row-level security decides what exists.
 * - `asService(fn)`: bypasses RLS. Only sync, webhooks, the CLI and boot use it: grep for it and you
 *   find every privileged path.
 *
 * The pool lives on globalThis because the server entry and the Vite-built app bundle each get their
 * own copy of this module; both must share one pool.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

interface DbState {
  sql?: Sql;
  url?: string;
  stallMs?: number;
}
const state: DbState = ((globalThis as Record<string, unknown>).__spendlaneDb ??= {}) as DbState;

/** Points the process at a database. Called once at boot (server, CLI, tests). */
export function configureDatabase(url: string, options: { max?: number; stallMs?: number } = {}) {
  if (options.stallMs !== undefined) state.stallMs = options.stallMs;
  if (state.sql && state.url === url) return state.sql;
  const old = state.sql;
  state.url = url;
  state.sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    // Tests on PGlite raise it (DATABASE_CONNECT_TIMEOUT_SECONDS): two test processes share one embedded
    // database whose socket serves one connection at a time, so a connection can wait behind another
    // process's long statement (a full dump) for longer than a server ever makes it wait.
    connect_timeout: connectTimeoutSeconds(),
    // Reconnect quickly once the database is back (the default backoff grows to 20 s per connection,
    // which holds requests that long during an outage and delays recovery just as long).
    backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 1),
    onnotice: () => {},
    // numeric and bigint stay strings: money is exact, never a float
    types: {},
    connection: { application_name: "spendlane" },
  });
  if (old) void old.end({ timeout: 1 });
  return state.sql;
}

function connectTimeoutSeconds() {
  return Number(process.env.DATABASE_CONNECT_TIMEOUT_SECONDS) || 10;
}

export function databaseUrl(): string | undefined {
  return state.url ?? process.env.DATABASE_URL;
}

/** The shared pool. Throws when boot has not configured one. */
export function sql(): Sql {
  if (!state.sql) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("Database not configured: call configureDatabase() at boot or set DATABASE_URL");
    configureDatabase(url);
  }
  return state.sql!;
}

export async function closeDatabase() {
  const s = state.sql;
  state.sql = undefined;
  state.url = undefined;
  if (s) await s.end({ timeout: 5 });
}

/**
 * A transaction that must start (BEGIN answered) within `stallMs` (default: the connect timeout plus
 * 5 s, so 15 s in production), else it fails as CONNECT_TIMEOUT, which the app answers with 503. The
 * default follows DATABASE_CONNECT_TIMEOUT_SECONDS: where a connection may rightly wait longer (tests on
 * the shared PGlite), starting a transaction on it may too.
 *
 * Why: postgres 3.4.9 loses a query written to a pooled connection in the instant between the
 * socket's ECONNRESET and its close (closed(hadError) assumes error() already failed every pending
 * query, and the write was queued after it). An idle connection reset by a load balancer or NAT
 * (RST) thus left the next request waiting forever. A transaction that starts late is rolled back.
 */
function begin<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  const limit = state.stallMs ?? (connectTimeoutSeconds() + 5) * 1000;
  let started = false;
  let abandoned = false;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (started) return;
      abandoned = true;
      reject(Object.assign(new Error(`The database did not start a transaction within ${limit} ms`), { code: "CONNECT_TIMEOUT" }));
    }, limit);
    sql()
      .begin(async (tx) => {
        started = true;
        clearTimeout(timer);
        if (abandoned) throw new Error("transaction abandoned after its start timed out");
        return fn(tx);
      })
      .then((v) => resolve(v as T), reject)
      .finally(() => clearTimeout(timer));
  });
}

/** Runs `fn` as `userId` (or anonymously with null) under row-level security, in one transaction. */
export async function asUser<T>(userId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const claims = JSON.stringify(userId ? { sub: userId, role: "authenticated" } : { role: "anon" });
  const role = userId ? "authenticated" : "anon";
  return begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true), set_config('role', ${role}, true)`;
    return fn(tx);
  });
}

/** Privileged access that bypasses RLS: sync, webhooks, CLI, boot. Never on a request path for user data. */
export async function asService<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return begin(fn);
}
