/**
 * Secrets never reach the logs. A whole session runs against the Meta emulator over HTTP through the
 * real server (log in with a password, connect Meta through the OAuth dialog and /meta/callback,
 * attach an ad account, sync it, plus a failing call), with every log line of every level captured
 * (pino, console, and anything else written to stdout/stderr). Then we grep for the password, the
 * session cookie, the OAuth code, the access token, the app secret and the appsecret_proof.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.LOG_LEVEL = "trace";
});

import { asService } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { captureLogs } from "../../app/.server/logger";
import { readSecret } from "../../app/.server/meta/vault";
import { appsecretProof } from "../../emulator/meta-graph";
import { addMember, createAgencyFixture, createUser, uniq } from "../helpers/factories";
import { bootEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, VERSION, type MetaEmulator } from "../helpers/meta-support";
import { closeVite, startTestServer, type TestServer } from "../helpers/security-harness";

let server: TestServer;
let meta: MetaEmulator;
let capture: ReturnType<typeof captureLogs>;
const written: string[] = [];
const restore: (() => void)[] = [];

beforeAll(async () => {
  capture = captureLogs({ quiet: true });
  // console and raw stream writes (anything that bypasses pino)
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => void written.push(args.map((a) => (typeof a === "string" ? a : safeJson(a))).join(" "));
    restore.push(() => (console[method] = original));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = original as typeof stream.write));
  }
  meta = await bootEmulator();
  server = await startTestServer();
  Object.assign(process.env, {
    META_APP_ID: DEFAULT_APP_ID,
    META_APP_SECRET: DEFAULT_APP_SECRET,
    META_GRAPH_URL: meta.url,
    META_WEB_URL: meta.url,
    META_API_VERSION: VERSION,
    APP_URL: server.url,
  });
  delete process.env.META_LOGIN_CONFIG_ID;
  resetEnvForTests();
});
afterAll(async () => {
  const { stopWorker } = await import("../../app/.server/sync/scheduler");
  await stopWorker();
  capture?.stop();
  for (const r of restore.reverse()) r();
  await server?.close();
  await meta?.close();
  await closeVite();
});

function safeJson(v: unknown) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

describe("log redaction over a full connect and sync", () => {
  it("never logs the password, session cookie, OAuth code, token, app secret or appsecret_proof", async () => {
    const fx = await createAgencyFixture({ workspaces: 1 });
    const password = `pw-${uniq()}-${uniq()}`;
    const user = await createUser({ password });
    await addMember(fx.agency.id, user.id, "owner");
    const form = { "content-type": "application/x-www-form-urlencoded" };

    // 1. log in with the password
    const login = await server.fetch("/login", { method: "POST", headers: form, body: new URLSearchParams({ email: user.email, password }).toString() });
    expect(login.status).toBe(302);
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const cookieValue = cookie.split("=").slice(1).join("=");
    expect(cookieValue.length).toBeGreaterThan(20);
    // a failed login too (the password is in the body of both)
    const failed = await server.fetch("/login", {
      method: "POST",
      headers: form,
      body: new URLSearchParams({ email: user.email, password: `${password}-wrong` }).toString(),
    });
    expect(failed.status).toBe(400);
    await failed.text();

    // 2. connect Meta: dialog, consent on the emulator, our callback with the code
    const connections = `/a/${fx.agency.slug}/w/${fx.workspaces[0].slug}/connections`;
    const start = await server.fetch(connections, {
      method: "POST",
      headers: { ...form, cookie },
      body: new URLSearchParams({ intent: "connect" }).toString(),
    });
    expect(start.status).toBe(302);
    const dialog = start.headers.get("location")!;
    const [fbUser] = (await meta.users()).filter((u) => u.ad_accounts.length >= 1);
    const html = await (await fetch(dialog)).text();
    const requestId = /data-request-id="([^"]+)"/.exec(html)![1];
    const decided = await fetch(`${meta.url}/${VERSION}/dialog/oauth/decide`, {
      method: "POST",
      redirect: "manual",
      headers: form,
      body: new URLSearchParams({ request_id: requestId, user_id: fbUser.id, decision: "approve" }),
    });
    const back = new URL(decided.headers.get("location")!);
    const code = back.searchParams.get("code")!;
    expect(code.length).toBeGreaterThan(8);
    const done = await server.fetch(back.pathname + back.search, { headers: { cookie } });
    expect(done.status).toBe(302);
    // a replayed callback (the code is single-use) fails and is logged as a failure
    const replay = await server.fetch(back.pathname + back.search, { headers: { cookie } });
    await replay.text();

    const [conn] = await asService(
      (tx) => tx<{ id: string; token_secret_id: string }[]>`
      select id, token_secret_id from public.meta_connections where workspace_id = ${fx.workspaces[0].id}`,
    );
    const token = await asService((tx) => readSecret(tx, conn.token_secret_id));
    expect(token).toMatch(/^EAA/);
    const proof = appsecretProof(token, DEFAULT_APP_SECRET);

    // 3. attach one account and sync it, then a sync that fails at Meta
    const attach = await server.fetch(connections, {
      method: "POST",
      headers: { ...form, cookie },
      body: new URLSearchParams({ intent: "attach", connectionId: conn.id, accounts: fbUser.ad_accounts[0].id }).toString(),
    });
    expect(attach.status).toBe(302);
    const [account] = await asService((tx) => tx<{ id: string }[]>`select id from public.ad_accounts where connection_id = ${conn.id}`);
    const { syncNow } = await import("../../app/.server/sync/service");
    const ok = await syncNow({ adAccountId: account.id, kind: "incremental" });
    expect(ok.status).toBe("succeeded");
    expect(ok.apiCalls).toBeGreaterThan(0);
    await meta.fault("code190", 5);
    const bad = await syncNow({ adAccountId: account.id, kind: "incremental" });
    expect(bad.status).not.toBe("succeeded");

    // 4. the logs saw all of this ...
    await new Promise((r) => setTimeout(r, 50));
    const all = [...capture.lines, ...written].join("\n");
    expect(all).toContain('"path":"/meta/callback"');
    expect(all).toContain('"path":"/login"');
    expect(all).toContain("Meta connection saved");
    expect(all).toContain("sync finished");
    expect(all).toContain("needs re-authorisation");
    // ... and none of the secrets
    const secrets: Record<string, string> = {
      password,
      "session cookie": cookieValue,
      "session cookie (decoded)": decodeURIComponent(cookieValue),
      "OAuth code": code,
      "access token": token,
      "app secret": DEFAULT_APP_SECRET,
      appsecret_proof: proof,
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect(all.includes(value), `${name} appears in the logs`).toBe(false);
    }
  });
});
