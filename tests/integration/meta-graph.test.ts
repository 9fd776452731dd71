import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { GraphClient, appsecretProof, encodeParams, type GraphClientOptions } from "../../app/.server/meta/graph";
import { MetaApiError } from "../../app/.server/meta/errors";
import { RateGovernor } from "../../app/.server/meta/governor";
import { bootEmulator, DEFAULT_APP_SECRET, VERSION, type MetaEmulator, type EmulatorUser } from "../helpers/meta-support";

let meta: MetaEmulator;
let user: EmulatorUser;
let token: string;
const noSleep = async () => {};
/** The error a promise rejects with (fails the test when it resolves). */
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e as MetaApiError,
  );

beforeAll(async () => {
  meta = await bootEmulator();
  user = (await meta.users()).find((u) => u.ad_accounts.length >= 3)!;
  token = await meta.token({ userId: user.id });
});
afterAll(() => meta?.close());
beforeEach(async () => {
  await meta.ctl("/faults", undefined, "DELETE");
});

function client(opts: Partial<GraphClientOptions> = {}) {
  return new GraphClient({ accessToken: token, appSecret: DEFAULT_APP_SECRET, graphUrl: meta.url, version: VERSION, sleep: noSleep, retryBaseMs: 1, ...opts });
}

const account = z.object({ id: z.string(), name: z.string(), currency: z.string(), timezone_name: z.string() });

describe("GraphClient against the emulator", () => {
  it("follows paging.next to the end and counts every call", async () => {
    const c = client();
    const pages: z.infer<typeof account>[][] = [];
    for await (const page of c.pages("me/adaccounts", { fields: ["id", "name", "currency", "timezone_name"], limit: 1 }, account)) pages.push(page);
    expect(pages.length).toBe(user.ad_accounts.length);
    expect(
      pages
        .flat()
        .map((a) => a.id)
        .sort(),
    ).toEqual(user.ad_accounts.map((a) => a.id).sort());
    expect(pages.flat()[0]).toMatchObject({ currency: expect.stringMatching(/^[A-Z]{3}$/) });
    expect(c.calls).toBe(user.ad_accounts.length);
  });

  it("sends the token in a header and appsecret_proof on every call, never the token in a URL", async () => {
    const urls: string[] = [];
    const auth: string[] = [];
    const spy: typeof fetch = async (input, init) => {
      urls.push(String(input));
      auth.push(String((init?.headers as Record<string, string>).Authorization));
      return fetch(input, init);
    };
    const c = client({ fetch: spy });
    for await (const _ of c.pages("me/adaccounts", { limit: 1, fields: "id" }, z.object({ id: z.string() })));
    const expected = await appsecretProof(token, DEFAULT_APP_SECRET);
    expect(urls.length).toBeGreaterThan(1);
    for (const u of urls) {
      expect(u).not.toContain(token);
      expect(u).toContain(`/${VERSION}/`);
      expect(new URL(u).searchParams.get("appsecret_proof")).toBe(expected);
    }
    expect(auth.every((a) => a === `OAuth ${token}`)).toBe(true);
  });

  it("is refused without (or with a wrong) app secret when the app requires the proof", async () => {
    await expect(client({ appSecret: undefined, maxRetries: 0 }).get("me")).rejects.toMatchObject({ kind: "invalid_request", code: 100 });
    await expect(client({ appSecret: "wrong-secret", maxRetries: 0 }).get("me")).rejects.toMatchObject({ kind: "invalid_request" });
  });

  it("validates responses with zod and says what did not match", async () => {
    const c = client();
    const acct = user.ad_accounts[0];
    const ok = await c.get(acct.id, { fields: "id,name,currency" }, z.object({ id: z.literal(acct.id), currency: z.string() }));
    expect(ok.currency).toBe(acct.currency);
    const err = await failure(c.get(acct.id, { fields: "id,currency" }, z.object({ currency: z.number() })));
    expect(err).toBeInstanceOf(MetaApiError);
    expect(err.message).toMatch(/Unexpected response shape.*currency/);
    const pageErr = await failure(
      (async () => {
        for await (const _ of c.pages("me/adaccounts", { fields: "id" }, z.object({ id: z.number() })));
      })(),
    );
    expect(pageErr.message).toMatch(/data\[0\]\.id/);
  });

  it("JSON-encodes object and array params", () => {
    const p = encodeParams({ fields: ["a", "b"], time_range: { since: "2026-01-01", until: "2026-01-02" }, limit: 5, flag: true, skip: undefined });
    expect(Object.fromEntries(p)).toEqual({ fields: '["a","b"]', time_range: '{"since":"2026-01-01","until":"2026-01-02"}', limit: "5", flag: "true" });
  });

  const kinds: [string, MetaApiError["kind"]][] = [
    ["http500", "transient"],
    ["code1", "transient"],
    ["code2", "transient"],
    ["drop", "transient"],
    ["code17", "rate_limited"],
    ["code4", "rate_limited"],
    ["code613", "rate_limited"],
    ["code80004", "rate_limited"],
    ["code190", "token_invalid"],
  ];
  it.each(kinds)("maps the emulator's %s fault to %s", async (fault, kind) => {
    await meta.fault(fault, 1);
    const err = await failure(client({ maxRetries: 0 }).get(user.ad_accounts[0].id, { fields: "id" }));
    expect(err).toBeInstanceOf(MetaApiError);
    expect(err.kind).toBe(kind);
    expect(err.message).not.toContain(token);
    if (kind === "rate_limited") expect(err.retryAfterMs).toBeGreaterThan(0);
  });

  it("a slow answer past the timeout is a transient error", async () => {
    await meta.fault("slow", 1, { delayMs: 800 });
    const err = await failure(client({ maxRetries: 0, timeoutMs: 150 }).get("me"));
    expect(err).toMatchObject({ kind: "transient", httpStatus: 0 });
    expect(err.message).toMatch(/timed out/);
  });

  it("retries transient errors with backoff and succeeds; every retry counts as a call", async () => {
    await meta.fault("http500", 2);
    const sleeps: number[] = [];
    const calls: number[] = [];
    const c = client({ maxRetries: 3, retryBaseMs: 100, sleep: async (ms) => void sleeps.push(ms), onCall: (x) => calls.push(x.status) });
    const me = await c.get("me", { fields: "id" }, z.object({ id: z.string() }));
    expect(me.id).toBe(user.id);
    expect(c.calls).toBe(3);
    expect(calls).toEqual([500, 500, 200]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it("gives up after maxRetries and does not retry token errors", async () => {
    await meta.fault("code2", 5);
    const c = client({ maxRetries: 2 });
    await expect(c.get("me")).rejects.toMatchObject({ kind: "transient" });
    expect(c.calls).toBe(3);
    await meta.ctl("/faults", undefined, "DELETE");
    await meta.fault("code190", 3);
    const c2 = client({ maxRetries: 5 });
    await expect(c2.get(user.ad_accounts[0].id)).rejects.toMatchObject({ kind: "token_invalid" });
    expect(c2.calls).toBe(1);
  });

  it("sits out a short rate limit through the governor, then succeeds", async () => {
    await meta.fault("code17", 1);
    const waits: number[] = [];
    let clock = Date.now();
    const governor = new RateGovernor({ now: () => clock, sleep: async (ms) => void (waits.push(ms), (clock += ms)) });
    const c = client({ governor, maxRetries: 2 });
    const acct = user.ad_accounts[0].id;
    await c.get(acct, { fields: "id" });
    expect(c.calls).toBe(2);
    // the emulator says estimated_time_to_regain_access = 1 minute
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(59_000);
  });

  it("throws long rate limits to the caller instead of blocking", async () => {
    await meta.fault("code80004", 1);
    const c = client({ maxRetries: 3, maxRateLimitWaitMs: 1_000 });
    await expect(c.get(user.ad_accounts[0].id)).rejects.toMatchObject({ kind: "rate_limited", retryAfterMs: 60_000 });
    expect(c.calls).toBe(1);
  });

  it("scrubs its own token and app secret from error text a proxy echoes back", async () => {
    const echo: typeof fetch = async () =>
      new Response(JSON.stringify({ error: { message: `bad token ${token} for secret ${DEFAULT_APP_SECRET}`, code: 100 } }), { status: 400 });
    const err = await failure(client({ fetch: echo, maxRetries: 0 }).get("me"));
    expect(err.kind).toBe("invalid_request");
    expect(err.message).not.toContain(token);
    expect(err.message).not.toContain(DEFAULT_APP_SECRET);
    const html: typeof fetch = async () => new Response(`<html>upstream failed for ${token}</html>`, { status: 502 });
    const err2 = await failure(client({ fetch: html, maxRetries: 0 }).get("me"));
    expect(err2.kind).toBe("transient");
    expect(JSON.stringify({ m: err2.message, c: err2.cause })).not.toContain(token);
  });

  it("refuses to follow a next link to another host", async () => {
    const fake: typeof fetch = async () =>
      new Response(JSON.stringify({ data: [{ id: "1" }], paging: { next: "https://evil.example/v24.0/me/adaccounts?after=x" } }), { status: 200 });
    const c = client({ fetch: fake });
    const it = c.pages("me/adaccounts", {}, z.object({ id: z.string() }));
    expect((await it.next()).value).toEqual([{ id: "1" }]);
    await expect(it.next()).rejects.toThrow(/another host/);
  });
});

describe("RateGovernor against the emulator's limits", () => {
  const burst = async (c: GraphClient, acct: string, n: number) => {
    for (let i = 0; i < n; i++) await c.get(acct, { fields: "id" });
  };

  it("keeps a burst under the ad-account limit without a single rate-limit error", async () => {
    await meta.ctl("/limits", { accountScore: { max: 20, windowSeconds: 2, blockSeconds: 5 }, resetCounters: true });
    try {
      const acct = user.ad_accounts[1].id;
      // Control: without a governor the same burst runs into the limit (so this test can fail).
      const ungoverned = client({ maxRetries: 0 });
      await expect(burst(ungoverned, acct, 30)).rejects.toMatchObject({ kind: "rate_limited" });
      await meta.ctl("/limits/reset-counters", {});

      const errors: number[] = [];
      const governor = new RateGovernor({ slowIntervalMs: 20 });
      const c = client({ governor, maxRetries: 0, onCall: (x) => x.status !== 200 && errors.push(x.status) });
      await burst(c, acct, 30);
      expect(errors).toEqual([]);
      expect(c.calls).toBe(30);
      expect(governor.waitedMs).toBeGreaterThan(500);
    } finally {
      await meta.ctl("/limits", { accountScore: { max: 300, windowSeconds: 300, blockSeconds: 60 }, resetCounters: true });
    }
  });
});
