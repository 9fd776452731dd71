import { createHmac } from "node:crypto";
import { getResending } from "../helpers/http";
import { startEmulator, DEFAULT_APP_SECRET, type EmulatorOptions, type RunningEmulator } from "../../emulator/meta-graph/index";

export const V = "v26.0";
export const ACT_US = "act_101000000000001"; // USD, America/Los_Angeles
export const ACT_EU = "act_101000000000002"; // EUR, Europe/Berlin
export const ACT_JP = "act_101000000000003"; // JPY, Asia/Tokyo
export const ACT_UK = "act_101000000000004"; // GBP, Europe/London
export const ACT_NY = "act_101000000000005"; // USD, America/New_York
export const ALICE = "100000000000001";
export const BRUNO = "100000000000002";
export const NOW = "2026-11-20T20:00:00Z";

export interface Ctx {
  em: RunningEmulator;
  url: string;
  token: string;
  get(path: string, params?: Record<string, string>, init?: { token?: string | null; proof?: boolean; headers?: Record<string, string> }): Promise<Resp>;
  post(path: string, params?: Record<string, string>, init?: { token?: string | null; proof?: boolean; json?: boolean }): Promise<Resp>;
  ctl(path: string, body?: unknown, method?: string): Promise<any>;
  newToken(body?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface Resp {
  status: number;
  headers: Headers;
  body: any;
}

export function proof(token: string, secret = DEFAULT_APP_SECRET): string {
  return createHmac("sha256", secret).update(token).digest("hex");
}

export async function boot(opts: EmulatorOptions = {}): Promise<Ctx> {
  const em = await startEmulator({ now: NOW, seed: "conformance", ...opts });
  const url = em.url;
  const ctl = async (path: string, body?: unknown, method?: string) => {
    const r = await fetch(`${url}/__emulator${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r.json();
  };
  const newToken = async (body: Record<string, unknown> = {}) => (await ctl("/tokens", body)).access_token as string;
  const token = await newToken();
  const withAuth = (params: Record<string, string>, init?: { token?: string | null; proof?: boolean }) => {
    const p = { ...params };
    const t = init?.token === undefined ? token : init.token;
    if (t) {
      p.access_token = t;
      if (init?.proof !== false) p.appsecret_proof = proof(t);
    }
    return p;
  };
  const parse = async (r: Response): Promise<Resp> => {
    const text = await r.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* html */
    }
    return { status: r.status, headers: r.headers, body };
  };
  return {
    em,
    url,
    token,
    ctl,
    newToken,
    async get(path, params = {}, init) {
      const qs = new URLSearchParams(withAuth(params, init)).toString();
      // resent once on a reset kept-alive socket (a loaded run paused this process past the 5 s keep-alive)
      return parse(await getResending(`${url}${path}${qs ? `?${qs}` : ""}`, { headers: init?.headers }));
    },
    async post(path, params = {}, init) {
      const p = withAuth(params, init);
      if (init?.json) return parse(await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(p) }));
      return parse(
        await fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(p).toString(),
        }),
      );
    },
    close: () => em.close(),
  };
}

/** Follows paging.next until absent; returns all rows and the number of pages. */
export async function walk(first: Resp): Promise<{ rows: any[]; pages: number }> {
  let r = first;
  const rows: any[] = [];
  let pages = 0;
  for (;;) {
    if (r.status !== 200) throw new Error(`paging failed: ${JSON.stringify(r.body)}`);
    pages++;
    rows.push(...r.body.data);
    const next = r.body.paging?.next;
    if (!next) break;
    const res = await fetch(next);
    r = { status: res.status, headers: res.headers, body: await res.json() };
  }
  return { rows, pages };
}

export function fmt6(x: number): string {
  let s = x.toFixed(6);
  s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

export function cents(spend: string, offset = 100): number {
  const [i, f = ""] = spend.split(".");
  const digits = offset === 1 ? 0 : 2;
  return Number(i) * offset + (digits ? Number((f + "00").slice(0, 2)) : 0);
}

export function expectGraphError(r: Resp, status: number, code: number, subcode?: number): void {
  if (r.status !== status || r.body?.error?.code !== code || (subcode !== undefined && r.body.error.error_subcode !== subcode)) {
    throw new Error(`expected HTTP ${status} code ${code}/${subcode ?? "-"}, got HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  const e = r.body.error;
  if (typeof e.message !== "string" || typeof e.type !== "string" || typeof e.fbtrace_id !== "string")
    throw new Error(`bad error envelope ${JSON.stringify(r.body)}`);
}
