/** Types, constants and small helpers shared by the emulator's modules. */
import { type AdNode } from "./ads";
import { ModelConfig } from "./data";
import { GraphError, nonexistingField } from "./errors";
import type { InsightsQuery } from "./insights";
import { DeepPartial, LimitsConfig } from "./ratelimit";
import { fbtraceId, hmacHex } from "./util";
import { AdAccount, Campaign, User, WorldSpec } from "./world";

export const DEFAULT_APP_ID = "1000000000000001";
export const DEFAULT_APP_SECRET = "emulator-app-secret";
export const DEFAULT_SCOPES = ["ads_read", "ads_management", "business_management", "public_profile"];

export interface AsyncJobConfig {
  /** "time": progresses with wall time over durationMs; "polls": one stage per GET of the report run. */
  mode: "time" | "polls";
  durationMs: number;
  pollsToComplete: number;
}

export interface LoginConfig {
  type: "USER" | "SYSTEM_USER";
  scopes: string[];
}

export interface EmulatorOptions {
  /** Rows of report-run results held in memory (jobs.ts JOB_ROWS_KEPT); older results are computed again when read. */
  jobRowsKept?: number;
  port?: number;
  host?: string;
  seed?: string | number;
  /** Freezes the emulator clock at this instant (change it with POST /__emulator/clock). Default: real time. */
  now?: Date | string;
  appId?: string;
  appSecret?: string;
  appName?: string;
  requireAppsecretProof?: boolean;
  world?: WorldSpec;
  limits?: DeepPartial<LimitsConfig>;
  asyncJob?: Partial<AsyncJobConfig>;
  tokenLifetimes?: { codeExchangeSeconds?: number; longLivedSeconds?: number; controlTokenSeconds?: number };
  defaultPageSize?: number;
  maxPageSize?: number;
  hideArchivedInInsights?: boolean;
  /** Allow-list of versions (e.g. ["v25.0","v26.0"]); others get error 2635. Default: the version table (versions.ts) at the emulator clock. */
  versions?: string[];
  /** Version named in the 2635 message. Default: the newest live version at the emulator clock. */
  latestVersion?: string;
  model?: Partial<ModelConfig>;
  loginConfigs?: Record<string, LoginConfig>;
  /** UNCONFIRMED upstream: rows with zero impressions and zero spend are left out (default true). */
  omitZeroRows?: boolean;
  /** UNCONFIRMED upstream threshold: age/gender breakdown rows with fewer impressions are left out (default 20). */
  breakdownMinImpressions?: number;
  /** UNCONFIRMED upstream: whether a bare numeric ad account id (without act_) resolves (default false → 100/33). */
  acceptBareAccountId?: boolean;
  /** UNCONFIRMED upstream: data_access_expires_at = issued_at + this many days (default 90). */
  dataAccessExpiryDays?: number;
  /** Base URL used in paging `next` links; default: derived from the request Host header. */
  publicUrl?: string;
  /**
   * Fixed delay (ms) added before every Graph API answer (not the control API or the CDN), to stand in
   * for the network and Meta's own serving time in benchmarks (Meta answers in 100-500 ms; the loopback
   * emulator in ~1 ms). Default 0. Change at run time with POST /__emulator/latency.
   */
  latencyMs?: number;
  log?: (line: string) => void;
}

export const DEFAULT_LOGIN_CONFIGS: Record<string, LoginConfig> = {
  "900000000000001": { type: "SYSTEM_USER", scopes: ["ads_read", "ads_management", "business_management"] },
  "900000000000002": { type: "USER", scopes: ["ads_read", "ads_management", "business_management"] },
};

export interface TokenRec {
  token: string;
  userId: string;
  type: "USER" | "SYSTEM_USER";
  scopes: string[];
  issuedAt: number; // unix s
  expiresAt: number; // unix s, 0 = never
  state: "valid" | "expired" | "revoked";
  expiredAtMs?: number;
}

export interface CodeRec {
  userId: string;
  redirectUri: string;
  scopes: string[];
  type: "USER" | "SYSTEM_USER";
  used: boolean;
  expiresAtMs: number;
}

export interface DialogReq {
  clientId: string;
  redirectUri: string;
  state?: string;
  scope?: string;
  configId?: string;
  responseType: string;
}

export interface Job {
  id: string;
  accountId: string;
  createdReal: number;
  polls: number;
  outcome: "completed" | "failed" | "skipped";
  /** the result; null once dropped from memory (jobs.ts jobRows computes it again from `query`) */
  rows: Array<Record<string, unknown>> | null;
  /** set while the rows are being computed (the job runs, whatever its clock says) */
  computing: Promise<void> | null;
  /** set while dropped rows are computed again for a reader (jobs.ts jobRows) */
  recomputing?: Promise<Array<Record<string, unknown>>>;
  /** what the report was asked for, and when: enough to compute its rows again */
  query: { route: Route; q: InsightsQuery; oldReach: boolean; nowMs: number };
  dateStart: string;
  dateStop: string;
  timeRef: number;
  userId: string;
}

export interface Fault {
  kind: string;
  remaining: number;
  account?: string;
  endpoint?: string;
  delayMs?: number;
  subcode?: number;
}

export const FAULT_KINDS = new Set([
  "http500",
  "code1",
  "code2",
  "code17",
  "code80000",
  "code80004",
  "code4",
  "code613",
  "slow",
  "drop",
  "async_failed",
  "async_skipped",
  "batch_timeout",
  "code190",
  "code100",
]);

export interface GReq {
  method: string;
  version: string | null;
  path: string[];
  params: Record<string, string>;
  headers: Record<string, string | undefined>;
  baseUrl: string;
  inBatch?: boolean;
}

export interface GRes {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  html?: string;
  text?: string;
  location?: string;
  drop?: boolean;
}

export interface Route {
  kind: string;
  account: AdAccount | null;
  campaign?: Campaign;
  job?: Job;
  user?: User;
  business?: { id: string; name: string };
  adNode?: AdNode;
  marketing: boolean;
  needsToken: boolean;
}

export const VERSION_RE = /^v\d+\.\d+$/;
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): GRes => ({ status, headers, body });

export function appsecretProof(token: string, secret: string): string {
  return hmacHex(secret, token);
}

// Helpers shared by the emulator's modules.
export function unknownPath(p: string[]): GraphError {
  return new GraphError(400, { message: `Unknown path components: /${p.slice(1).join("/") || p[0]}`, type: "OAuthException", code: 2500 });
}

export function select(obj: Record<string, unknown>, fields: string[], defaults: string[], nodeType: string): Record<string, unknown> {
  const want = fields.length ? fields : defaults;
  const out: Record<string, unknown> = {};
  for (const f of want) {
    if (!(f in obj)) throw nonexistingField(f, nodeType);
    if (obj[f] !== undefined) out[f] = obj[f];
  }
  if (fields.length && "id" in obj && !("id" in out)) out.id = obj.id; // Graph always returns the id
  return out;
}

export function errRes(e: GraphError): GRes {
  return { status: e.status, headers: { ...e.headers }, body: { error: { ...e.body, fbtrace_id: fbtraceId() } } };
}

export function batchItem(r: GRes, includeHeaders: boolean): unknown {
  const headers = [{ name: "Content-Type", value: "text/javascript; charset=UTF-8" }, ...Object.entries(r.headers).map(([name, value]) => ({ name, value }))];
  const body = r.body !== undefined ? JSON.stringify(r.body) : (r.html ?? r.text ?? "");
  return includeHeaders ? { code: r.status, headers, body } : { code: r.status, body };
}

export function stringifyValues(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:sans-serif;margin:2rem}li{margin:.5rem 0}</style></head><body>${body}</body></html>`;
}

export const LA_FMT = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Los_Angeles",
  weekday: "long",
  day: "2-digit",
  month: "short",
  year: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
});
/** "Friday, 18-Aug-17 14:00:00 PDT" */
export function fbDate(ms: number): string {
  const p = Object.fromEntries(LA_FMT.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.weekday}, ${p.day}-${p.month}-${p.year} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
}

export function g0(n: AdNode): string {
  return n.kind === "adset" ? n.set.id : n.ad.id;
}
