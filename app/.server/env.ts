/**
 * The one place that reads process.env. Validated once, at boot; everything else imports `env`.
 * In production the app refuses to start without the secrets (SESSION_SECRET, VAULT_KEY, and the
 * Meta app secret when a real Meta app is configured).
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { DEFAULT_META_API_VERSION } from "./meta/versions";

const bool = z.enum(["1", "0", "true", "false", "yes", "no", ""]).transform((v) => v === "1" || v === "true" || v === "yes");

const base64Key = z.string().refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded");

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Unset: the embedded PGlite engine with its data under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  SESSION_SECRET: z.string().min(32).optional(),
  /** AES-256-GCM key for the token vault when Supabase Vault is absent; `kid:base64,...` lists allow rotation. */
  VAULT_KEY: base64Key.optional(),
  VAULT_KEY_ID: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .default("k1"),
  /** Older keys still accepted for decryption: "kid:base64key,kid2:base64key2". */
  VAULT_OLD_KEYS: z.string().optional(),
  META_GRAPH_URL: z.string().url().default("https://graph.facebook.com"),
  META_WEB_URL: z.string().url().default("https://www.facebook.com"),
  /** Marketing API version; default the newest live one (meta/versions.ts, ADR 0070). */
  META_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, "must look like v27.0")
    .default(DEFAULT_META_API_VERSION),
  META_APP_ID: z.string().optional(),
  META_APP_SECRET: z.string().optional(),
  META_LOGIN_CONFIG_ID: z.string().optional(),
  /**
   * Demo mode: start the built-in Meta emulator in-process, seed the demo agency, show the dev outbox.
   * Explicit only (`npm start` sets it by default on the embedded engine with no Meta app); never
   * inferred from other settings.
   */
  SPENDLANE_DEMO: bool.optional(),
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  APP_URL: z.string().url().optional(),
  /**
   * Express "trust proxy": which reverse proxies may set X-Forwarded-For / -Proto. A hop count ("1"),
   * or addresses, CIDR ranges and names ("loopback", "10.0.0.0/8, uniquelocal"). Unset: none, and
   * the client address is the socket's. "true" (trust anyone) is refused: it lets clients pick their
   * own address.
   */
  TRUST_PROXY: z
    .string()
    .refine((v) => !/^\s*true\s*$/i.test(v), "name the proxies (addresses, CIDR ranges, loopback/uniquelocal) or a hop count, not true")
    .transform((v): string | number | false => (/^\s*false\s*$/i.test(v) ? false : /^\s*\d+\s*$/.test(v) ? Number(v) : v))
    .optional(),
  /**
   * Supabase deployment (ADR 0110): with all three set, browsers get live updates through Supabase
   * Realtime private channels instead of SSE. The anon/publishable key is public (it reaches the
   * browser); the JWT secret signs the short-lived Realtime tokens and never leaves the server.
   */
  SUPABASE_URL: z.string().url().optional(),
  SUPABASE_ANON_KEY: z.string().min(20).optional(),
  SUPABASE_JWT_SECRET: z.string().min(32).optional(),
  /** Lifetime of a Realtime token; the browser refreshes it at half-life, membership changes apply then. */
  SUPABASE_REALTIME_TOKEN_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  RUN_WORKER: bool.optional(),
  /** The warm path's per-process session, guard and page-body caches (ADR 0150); on unless 0. */
  WARM_CACHE: bool.optional(),
  REFRESH_ACTIVE_SECONDS: z.coerce.number().int().min(5).default(900),
  BACKFILL_MONTHS: z.coerce.number().int().min(1).max(37).default(13),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Seconds a signed webhook stays acceptable (replay window for stripe.webhooks.constructEvent). */
  STRIPE_WEBHOOK_TOLERANCE: z.coerce.number().int().min(1).max(3600).default(300),
  /** Where stripe-node sends API calls; tests and local development point these at a fake Stripe. */
  STRIPE_API_HOST: z.string().optional(),
  STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STRIPE_API_PROTOCOL: z.enum(["http", "https"]).optional(),
  /** Stripe price ids per plan and interval (Checkout). A plan without a price cannot be bought. */
  STRIPE_PRICE_STARTER_MONTHLY: z.string().optional(),
  STRIPE_PRICE_STARTER_YEARLY: z.string().optional(),
  STRIPE_PRICE_GROWTH_MONTHLY: z.string().optional(),
  STRIPE_PRICE_GROWTH_YEARLY: z.string().optional(),
  STRIPE_PRICE_SCALE_MONTHLY: z.string().optional(),
  STRIPE_PRICE_SCALE_YEARLY: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default("Spendlane <no-reply@spendlane.local>"),
  /** Upper bound of a graceful shutdown (SIGTERM/SIGINT, or the parent process gone); then exit anyway. */
  /** How long a sync run's lease on its ad account lasts without renewal (a dead worker's account waits this long). */
  SYNC_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(60),
  /** Syncs one worker process runs at once (ADR 0170): they wait on Meta far more than they compute. Default 8 on PostgreSQL, 2 on the embedded engine. */
  SYNC_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(10_000),
  /** Bearer token for GET /metrics on the app's port. Unset (and no METRICS_PORT): no metrics endpoint. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Serve /metrics (no token) on this separate port instead, bound to METRICS_HOST (default loopback). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default("127.0.0.1"),
});

export type Env = z.infer<typeof envSchema>;

/**
 * On the embedded engine (no DATABASE_URL) a local install gets its own random SESSION_SECRET and
 * VAULT_KEY, kept beside the data in DATA_DIR/local-secrets.json, so `npm start` needs no
 * configuration and the CLI decrypts what the server encrypted. With DATABASE_URL (a real deployment)
 * the secrets must come from the environment.
 */
function localSecrets(dataDir: string): { SESSION_SECRET: string; VAULT_KEY: string } {
  const file = path.resolve(dataDir, "local-secrets.json");
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    const secrets = { SESSION_SECRET: randomBytes(32).toString("base64url"), VAULT_KEY: randomBytes(32).toString("base64") };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(secrets), { mode: 0o600, flag: "wx" });
    return JSON.parse(fs.readFileSync(file, "utf8"));
  }
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env & { SESSION_SECRET: string; VAULT_KEY: string } {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const e = result.data;
  if (!e.DATABASE_URL && (!e.SESSION_SECRET || !e.VAULT_KEY) && !e.DATA_DIR.startsWith("memory://")) {
    const local = localSecrets(e.DATA_DIR);
    e.SESSION_SECRET ??= local.SESSION_SECRET;
    e.VAULT_KEY ??= local.VAULT_KEY;
  }
  if (e.NODE_ENV === "production" || e.DATABASE_URL) {
    const missing = ["SESSION_SECRET", "VAULT_KEY"].filter((k) => !(e as Record<string, unknown>)[k]);
    if (e.META_APP_ID && !e.META_APP_SECRET) missing.push("META_APP_SECRET");
    if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) missing.push("STRIPE_WEBHOOK_SECRET");
    // Links in emails and the CSRF check need the public origin; the request's Host is the client's
    // to choose (security/origin.ts). Only the local demo may go without.
    if (e.NODE_ENV === "production" && !e.SPENDLANE_DEMO && !e.APP_URL) missing.push("APP_URL");
    if (missing.length) throw new Error(`Refusing to start in production without: ${missing.join(", ")}`);
  }
  const supabase = [e.SUPABASE_URL, e.SUPABASE_ANON_KEY, e.SUPABASE_JWT_SECRET];
  if (supabase.some(Boolean) && !supabase.every(Boolean)) {
    throw new Error("Supabase Realtime needs SUPABASE_URL, SUPABASE_ANON_KEY and SUPABASE_JWT_SECRET together");
  }
  if (!e.SESSION_SECRET || !e.VAULT_KEY) throw new Error("SESSION_SECRET and VAULT_KEY are required");
  return { ...e, SESSION_SECRET: e.SESSION_SECRET, VAULT_KEY: e.VAULT_KEY };
}

let cached: ReturnType<typeof parseEnv> | undefined;
/** The validated environment (parsed on first use, then fixed for the life of the process). */
export function env() {
  cached ??= parseEnv();
  return cached;
}
/**
 * Parses the environment and makes it the process's: start-up (runtime.ts) calls this once, after
 * demo mode put its emulator's URL into process.env, so an earlier env() cannot leave a stale parse.
 */
export function loadEnv() {
  cached = parseEnv();
  return cached;
}
/** Tests change process.env between suites; this drops the cached parse. */
export function resetEnvForTests() {
  cached = undefined;
}
