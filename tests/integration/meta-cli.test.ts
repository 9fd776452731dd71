/** `spendlane meta connect|attach` as a real subprocess against the emulator, with logs captured. */
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { readSecret } from "../../app/.server/meta/vault";
import { createAgencyFixture } from "../helpers/factories";
import { runProcess } from "../helpers/run-process";
import { bootEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, VERSION, type MetaEmulator } from "../helpers/meta-support";

let meta: MetaEmulator;

beforeAll(async () => {
  meta = await bootEmulator();
});
afterAll(() => meta?.close());

async function cli(args: string[], input?: string) {
  const env = {
    ...process.env,
    DATABASE_URL: inject("databaseUrl"),
    META_APP_ID: DEFAULT_APP_ID,
    META_APP_SECRET: DEFAULT_APP_SECRET,
    META_GRAPH_URL: meta.url,
    META_WEB_URL: meta.url,
    META_API_VERSION: VERSION,
    // everything the code logs, so the assertions below see it all
    LOG_LEVEL: "trace",
    NODE_ENV: "development" as const,
  };
  const r = await runProcess("node", ["cli/bin.mjs", ...args], { env, input, timeoutMs: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("spendlane meta", () => {
  it("connect validates and stores the token, attach adds an account; the token never appears in output or logs", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const fbUser = (await meta.users()).find((u) => u.ad_accounts.length >= 2)!;
    const token = await meta.token({ userId: fbUser.id, systemUser: true });
    const ws = `${f.agency.slug}/${f.workspaces[0].slug}`;

    const connected = await cli(["meta", "connect", "--workspace", ws, "--token", "-"], token);
    expect(connected.stderr + connected.stdout).not.toContain(token);
    expect(connected.code).toBe(0);
    expect(connected.stderr).toContain("Meta connection saved"); // the logs were captured
    const out = JSON.parse(connected.stdout.trim());
    expect(out.connectionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.adAccounts).toEqual(fbUser.ad_accounts.map((a) => ({ id: a.id, name: a.name, currency: a.currency, timezone: a.timezone_name })));
    const [row] = await asService((tx) => tx`select token_secret_id, kind from public.meta_connections where id = ${out.connectionId}`);
    expect(row.kind).toBe("system_user");
    expect(await asService((tx) => readSecret(tx, row.token_secret_id))).toBe(token);

    const acct = fbUser.ad_accounts[1];
    const attached = await cli(["meta", "attach", "--workspace", f.workspaces[0].id, "--account", acct.id]);
    expect(attached.stderr + attached.stdout).not.toContain(token);
    expect(attached.code).toBe(0);
    const a = JSON.parse(attached.stdout.trim());
    expect(a).toEqual({
      adAccountId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      metaAccountId: acct.id,
      name: acct.name,
      currency: acct.currency,
      timezone: acct.timezone_name,
    });
  });

  it("bad input gets a clear error, a non-zero exit and changes nothing", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const ws = `${f.agency.slug}/${f.workspaces[0].slug}`;
    const revoked = await meta.token({ systemUser: true });
    await meta.ctl("/tokens/revoke", { access_token: revoked });
    const bad = await cli(["meta", "connect", "--workspace", ws, "--token", revoked]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not valid/);
    expect(bad.stderr + bad.stdout).not.toContain(revoked);
    const noWs = await cli(["meta", "connect", "--workspace", "nope/nope", "--token", revoked]);
    expect(noWs.code).toBe(2);
    expect(noWs.stderr).toMatch(/No workspace "nope\/nope"/);
    const noConn = await cli(["meta", "attach", "--workspace", ws, "--account", "act_1"]);
    expect(noConn.code).toBe(2);
    expect(noConn.stderr).toMatch(/no active Meta connection/);
    const rows = await asService((tx) => tx`select 1 from public.meta_connections where workspace_id = ${f.workspaces[0].id}`);
    expect(rows).toHaveLength(0);
  });
});
