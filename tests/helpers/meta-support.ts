/** Shared setup for the meta-* tests: a real emulator over HTTP and its control API. */
import { startEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, type EmulatorOptions, type RunningEmulator } from "../../emulator/meta-graph/index";

export { DEFAULT_APP_ID, DEFAULT_APP_SECRET };
// the default version (meta/versions.ts): live at the emulator clock
export { DEFAULT_META_API_VERSION as VERSION } from "../../app/.server/meta/versions";

export interface EmulatorUser {
  id: string;
  name: string;
  system_user_id: string;
  ad_accounts: { id: string; name: string; currency: string; timezone_name: string; account_status: number }[];
}

export interface MetaEmulator {
  em: RunningEmulator;
  url: string;
  ctl<T = any>(path: string, body?: unknown, method?: string): Promise<T>;
  token(body?: { userId?: string; systemUser?: boolean; expiresInSeconds?: number; scopes?: string[] }): Promise<string>;
  users(): Promise<EmulatorUser[]>;
  fault(kind: string, count?: number, extra?: Record<string, unknown>): Promise<void>;
  callCount(): Promise<number>;
  close(): Promise<void>;
}

export async function bootEmulator(opts: EmulatorOptions = {}): Promise<MetaEmulator> {
  const em = await startEmulator({ seed: "spendlane-meta-tests", ...opts });
  const ctl = async (path: string, body?: unknown, method?: string) => {
    const r = await fetch(`${em.url}/__emulator${path}`, {
      method: method ?? (body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`emulator control ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  return {
    em,
    url: em.url,
    ctl,
    token: async (body = {}) => (await ctl("/tokens", body)).access_token,
    users: async () => (await ctl("/users")).users,
    fault: async (kind, count = 1, extra = {}) => void (await ctl("/faults", { kind, count, ...extra })),
    callCount: async () => (await ctl("/calls")).total,
    close: () => em.close(),
  };
}
