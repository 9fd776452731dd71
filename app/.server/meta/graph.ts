/**
 * Meta Graph API client. Runtime-agnostic (fetch, Web Crypto, AbortSignal; no Node-only APIs in the
 * class) because the same code runs in the Supabase edge function.
 *
 * - Versioned URLs `${graphUrl}/${version}/${path}`.
 * - The token travels in the `Authorization: OAuth` header, never in a URL we build, and never in a
 *   log line or error message; `appsecret_proof` (hex HMAC-SHA256 of the token keyed with the app
 *   secret) goes on every call when an app secret is configured.
 * - Object and array params are JSON-encoded (what Meta's SDKs send).
 * - Every response is checked with zod when a schema is given; errors become MetaApiError (errors.ts).
 * - Transient failures (5xx, codes 1/2, timeouts, dropped connections) are retried with jittered
 *   exponential backoff; short rate-limit waits are sat out, long ones are thrown to the caller (the
 *   sync job reschedules itself with `retryAfterMs`).
 * - Usage headers feed the RateGovernor before and after every call.
 */
import { z } from "zod";
import { MetaApiError, classifyGraphError, networkError, redactSecrets } from "./errors";
import { RateGovernor } from "./governor";
import { env } from "../env";
import pRetry from "p-retry";

export interface GraphCall {
  path: string;
  status: number;
  durationMs: number;
  accountId?: string;
  /** Meta's error code when the call failed with a Graph error. */
  errorCode?: number;
}

export interface GraphClientOptions {
  accessToken: string;
  appSecret?: string;
  graphUrl: string;
  version: string;
  governor?: RateGovernor;
  timeoutMs?: number;
  fetch?: typeof fetch;
  maxRetries?: number;
  sleep?: (ms: number) => Promise<void>;
  onCall?: (c: GraphCall) => void;
  /** First backoff step; doubles per attempt, with full jitter. */
  retryBaseMs?: number;
  /** Cap of one backoff step. */
  retryMaxDelayMs?: number;
  /** Rate-limit waits up to this long are sat out inside the client; longer ones are thrown. */
  maxRateLimitWaitMs?: number;
}

export interface CallOptions {
  /** The ad account this call spends quota of, when the path does not start with act_N. */
  accountId?: string;
  timeoutMs?: number;
}

/** pages(): an edge read through field expansion of its node (see there). */
export interface PagesOptions extends CallOptions {
  edge?: string;
  onNode?: (node: Record<string, unknown>) => void;
}

type Params = Record<string, unknown>;

const nodeSchema = z.record(z.string(), z.unknown());

const pagedSchema = z.object({
  data: z.array(z.unknown()),
  paging: z.object({ next: z.string().optional() }).passthrough().optional(),
});

/** Hex HMAC-SHA256 of the token keyed with the app secret (Web Crypto, so it runs anywhere). */
export async function appsecretProof(accessToken: string, appSecret: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(appSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(accessToken)));
  return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Graph param encoding: strings as is, numbers/booleans as text, objects and arrays as JSON. */
export function encodeParams(params: Params = {}): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    out.set(k, typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  return out;
}

/** The ad account a path spends quota of ("act_123/insights" -> "act_123"). */
export function accountIdFromPath(path: string): string | undefined {
  const m = /^\/?(act_\d+)(?:[/?]|$)/.exec(path);
  return m?.[1];
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GraphClient {
  private readonly opts: Required<Pick<GraphClientOptions, "timeoutMs" | "maxRetries" | "retryBaseMs" | "retryMaxDelayMs" | "maxRateLimitWaitMs">> &
    GraphClientOptions;
  private readonly base: URL;
  private proof?: Promise<string>;
  private callCount = 0;

  constructor(opts: GraphClientOptions) {
    if (!opts.accessToken) throw new MetaApiError("token_invalid", "No Meta access token given");
    if (!/^v\d+\.\d+$/.test(opts.version)) throw new Error(`Invalid Graph API version "${opts.version}" (expected like v27.0)`);
    this.opts = {
      timeoutMs: 30_000,
      maxRetries: 4,
      retryBaseMs: 500,
      retryMaxDelayMs: 30_000,
      maxRateLimitWaitMs: 120_000,
      ...opts,
    };
    this.base = new URL(opts.graphUrl.replace(/\/+$/, "") + "/");
  }

  /** API calls made so far (each retry counts). */
  get calls(): number {
    return this.callCount;
  }

  get version(): string {
    return this.opts.version;
  }

  get<T>(path: string, params?: Params, schema?: z.ZodType<T>, options?: CallOptions): Promise<T> {
    return this.request("GET", this.url(path), params, schema, options);
  }

  post<T>(path: string, params?: Params, schema?: z.ZodType<T>, options?: CallOptions): Promise<T> {
    return this.request("POST", this.url(path), params, schema, options);
  }

  /**
   * Follows paging.next until absent; yields each page's data array (a page may be empty).
   * With `edge`, the first call reads a node whose `fields` expand that edge (Graph field expansion):
   * the node goes to `onNode`, the edge's first page is `node[edge]` (absent when it has no rows),
   * and later pages follow the edge's own `next` links.
   */
  async *pages<T>(path: string, params: Params, itemSchema: z.ZodType<T>, options?: PagesOptions): AsyncGenerator<T[]> {
    const accountId = options?.accountId ?? accountIdFromPath(path);
    let url: URL | undefined = this.url(path);
    let query: Params | undefined = params;
    const seen = new Set<string>();
    while (url) {
      const page: z.infer<typeof pagedSchema> =
        options?.edge && query
          ? await this.expandedFirstPage(url, query, options.edge, { ...options, accountId })
          : await this.request("GET", url, query, pagedSchema, { ...options, accountId });
      const items: T[] = [];
      for (const [i, raw] of page.data.entries()) {
        const r = itemSchema.safeParse(raw);
        if (!r.success) throw this.schemaError(url.pathname, r.error, `data[${i}]`);
        items.push(r.data);
      }
      yield items;
      const next = page.paging?.next;
      if (!next) break;
      url = this.nextUrl(next);
      // A cursor that repeats would loop forever; Meta never does this, a broken proxy might.
      if (seen.has(url.toString())) throw new MetaApiError("unknown", `Meta paging repeated a cursor (${url.pathname})`);
      seen.add(url.toString());
      query = undefined;
    }
  }

  private async expandedFirstPage(url: URL, query: Params, edge: string, options: PagesOptions): Promise<z.infer<typeof pagedSchema>> {
    const node = await this.request("GET", url, query, nodeSchema, options);
    options.onNode?.(node);
    const page = pagedSchema.safeParse(node[edge] ?? { data: [] });
    if (!page.success) throw this.schemaError(url.pathname, page.error, edge);
    return page.data;
  }

  private url(path: string): URL {
    const clean = path.replace(/^\/+/, "");
    if (/^[a-z]+:/i.test(clean) || clean.includes("..")) throw new Error("Graph path must be relative");
    const [p, q] = clean.split("?", 2);
    const url = new URL(`${this.opts.version}/${p}`, this.base);
    if (q) for (const [k, v] of new URLSearchParams(q)) url.searchParams.set(k, v);
    return url;
  }

  /**
   * Meta's `next` links are absolute and may carry an access_token. We only follow links to our own
   * Graph host, and strip any token or proof from them (ours goes in the header and the proof param).
   */
  private nextUrl(next: string): URL {
    const u = new URL(next, this.base);
    if (u.origin !== this.base.origin) throw new MetaApiError("unknown", "Meta paging pointed to another host; refusing to follow it");
    u.searchParams.delete("access_token");
    u.searchParams.delete("appsecret_proof");
    return u;
  }

  private appsecretProof(): Promise<string> | undefined {
    if (!this.opts.appSecret) return undefined;
    this.proof ??= appsecretProof(this.opts.accessToken, this.opts.appSecret);
    return this.proof;
  }

  private schemaError(path: string, error: z.ZodError, at = ""): MetaApiError {
    const issues = error.issues
      .slice(0, 3)
      .map((i) => `${[at, ...i.path.map(String)].filter(Boolean).join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return new MetaApiError("unknown", `Unexpected response shape from Meta (${path}): ${issues}`);
  }

  private async request<T>(method: "GET" | "POST", url: URL, params: Params | undefined, schema: z.ZodType<T> | undefined, options?: CallOptions): Promise<T> {
    const o = this.opts;
    const accountId = options?.accountId ?? /\/(act_\d+)(?:\/|$)/.exec(url.pathname)?.[1];
    const proof = await this.appsecretProof();
    const sleep = o.sleep ?? defaultSleep;
    const retryable = (err: unknown): err is MetaApiError =>
      err instanceof MetaApiError && (err.kind === "transient" || (err.kind === "rate_limited" && (err.retryAfterMs ?? 0) <= o.maxRateLimitWaitMs));
    return pRetry(() => this.once(method, url, params, schema, proof, accountId, options?.timeoutMs ?? o.timeoutMs), {
      retries: o.maxRetries,
      // The waits are ours (below): full jitter, Meta's retry-after, the governor, an injectable sleep.
      minTimeout: 0,
      maxTimeout: 0,
      shouldRetry: (err) => retryable(err),
      onFailedAttempt: async (error) => {
        if (!(error instanceof MetaApiError)) return;
        if (error.kind === "rate_limited") o.governor?.penalize(accountId, error.retryAfterMs ?? 0);
        if (error.retriesLeft <= 0 || !retryable(error)) return;
        // Full jitter: spreads retries of many workers instead of synchronising them.
        const attempt = error.attemptNumber - 1;
        const backoff = Math.random() * Math.min(o.retryMaxDelayMs, o.retryBaseMs * 2 ** attempt);
        const wait = error.kind === "rate_limited" ? Math.max(backoff, error.retryAfterMs ?? 0) : backoff;
        // With a governor the rate-limit pause happens in beforeCall; don't wait twice.
        if (!(error.kind === "rate_limited" && o.governor)) await sleep(wait);
        else if (backoff > 0) await sleep(backoff);
      },
    });
  }

  private async once<T>(
    method: "GET" | "POST",
    url: URL,
    params: Params | undefined,
    schema: z.ZodType<T> | undefined,
    proof: string | undefined,
    accountId: string | undefined,
    timeoutMs: number,
  ): Promise<T> {
    const o = this.opts;
    await o.governor?.beforeCall(accountId);
    const target = new URL(url);
    const encoded = encodeParams(params);
    if (proof) encoded.set("appsecret_proof", proof);
    const headers: Record<string, string> = { Authorization: `OAuth ${o.accessToken}`, Accept: "application/json" };
    let body: string | undefined;
    if (method === "GET") for (const [k, v] of encoded) target.searchParams.set(k, v);
    else {
      body = encoded.toString();
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const started = Date.now();
    const path = url.pathname;
    let status = 0;
    let errorCode: number | undefined;
    this.callCount++;
    try {
      let res: Response;
      let text: string;
      try {
        res = await (o.fetch ?? fetch)(target, { method, headers, body, signal: controller.signal });
        status = res.status;
        text = await res.text();
      } catch (err) {
        throw networkError(controller.signal.aborted ? "timeout" : "dropped", path, err);
      }
      o.governor?.observe(res.headers, accountId);
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        // A cut-off body is a dropped connection in disguise; anything else non-JSON is unexpected.
        if (res.ok) throw new MetaApiError("transient", `Meta returned a truncated or non-JSON response (${path})`, { httpStatus: status });
        json = undefined;
      }
      const graphError = json && typeof json === "object" ? (json as { error?: { message?: unknown } }).error : undefined;
      if (!res.ok || graphError) {
        // Meta's messages do not echo tokens, but a proxy's might: scrub our own secrets first.
        if (graphError && typeof graphError.message === "string") graphError.message = redactSecrets(graphError.message, this.secrets());
        const error = classifyGraphError(status, json ?? redactSecrets(text.slice(0, 200), this.secrets()), res.headers, path);
        errorCode = error.code;
        throw error;
      }
      if (!schema) return json as T;
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw this.schemaError(path, parsed.error);
      return parsed.data;
    } finally {
      clearTimeout(timer);
      o.onCall?.({ path, status, durationMs: Date.now() - started, accountId, errorCode });
    }
  }

  private secrets(): string[] {
    return [this.opts.accessToken, this.opts.appSecret ?? ""];
  }
}

/** One governor per process, shared by every client, so all calls of a worker see the same usage. */
export function processGovernor(): RateGovernor {
  const g = globalThis as { __spendlaneRateGovernor?: RateGovernor };
  g.__spendlaneRateGovernor ??= new RateGovernor();
  return g.__spendlaneRateGovernor;
}

/**
 * Every client made by graphClientFromEnv reports its calls here (the Node runtime registers its
 * metrics; the Deno edge function, which builds its own clients, has none).
 */
export function observeGraphCalls(observer: (c: GraphCall) => void): void {
  (globalThis as { __spendlaneGraphCallObserver?: (c: GraphCall) => void }).__spendlaneGraphCallObserver = observer;
}

/** A client configured from the environment (META_GRAPH_URL, META_API_VERSION, META_APP_SECRET). */
export function graphClientFromEnv(accessToken: string, overrides: Partial<GraphClientOptions> = {}): GraphClient {
  const e = env();
  return new GraphClient({
    accessToken,
    appSecret: e.META_APP_SECRET,
    graphUrl: e.META_GRAPH_URL,
    version: e.META_API_VERSION,
    governor: processGovernor(),
    onCall: (globalThis as { __spendlaneGraphCallObserver?: (c: GraphCall) => void }).__spendlaneGraphCallObserver,
    ...overrides,
  });
}
