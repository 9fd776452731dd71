/**
 * Runs one sync through the Deno wiring of the sync core against the Meta emulator (a Node child
 * process) into PostgreSQL, and checks the stored days against the emulator's truth to the cent.
 *
 * Database: DATABASE_URL when set (already migrated; the vitest wrapper passes its test database),
 * otherwise a fresh database on TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
 * migrated here and dropped afterwards.
 * Run: npx deno test -A supabase/functions/meta-sync/sync_test.ts (from the repository root).
 */
import postgres from "postgres";

function assertEquals(actual: unknown, expected: unknown, msg = "") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg} expected ${e.slice(0, 500)}, got ${a.slice(0, 500)}`);
}

const NOW = "2026-11-20T15:00:00.000Z";
const decimal = (s: string | number) => (String(s).includes(".") ? String(s).replace(/0+$/, "").replace(/\.$/, "") : String(s));

async function startEmulator(): Promise<{ url: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command("node", {
    args: ["--import", "tsx", "-e", "import('./emulator/meta-graph/cli.ts').then((m) => m.runEmulatorCli({ port: 0, seed: 'deno-test' }))"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("emulator exited before printing its address");
    buf += value;
  }
  reader.releaseLock();
  return { url: JSON.parse(buf.split("\n")[0]!).url, child };
}

Deno.test("meta-sync: one sync through the Deno wiring ends exact against the emulator", async () => {
  Deno.env.set("SESSION_SECRET", Deno.env.get("SESSION_SECRET") ?? "deno-test-session-secret-0123456789abcdef");
  Deno.env.set("VAULT_KEY", Deno.env.get("VAULT_KEY") ?? btoa(String.fromCharCode(...new Uint8Array(32).fill(7))));
  let databaseUrl = Deno.env.get("DATABASE_URL");
  let dropDb: (() => Promise<void>) | undefined;
  if (!databaseUrl) {
    const base = Deno.env.get("TEST_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/test";
    const name = `spendlane_deno_${Date.now()}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDb = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
    const { migrate } = await import("../../../app/.server/db/migrate.ts");
    const m = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    await migrate(m);
    await m.end();
    Deno.env.set("DATABASE_URL", databaseUrl);
  }
  const emu = await startEmulator();
  const sql = postgres(databaseUrl, { max: 3, onnotice: () => {} });
  try {
    const control = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${emu.url}/__emulator${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!r.ok) throw new Error(`emulator ${path}: ${r.status}`);
      return r.json();
    };
    await control("POST", "/clock", { now: NOW });
    const tok = await control("POST", "/tokens", { systemUser: true });
    const world = await control("GET", "/world");
    const acct = world.accounts.find((a: { account_status: number }) => a.account_status === 1);
    Deno.env.set("META_GRAPH_URL", emu.url);
    Deno.env.set("META_APP_SECRET", "emulator-app-secret");
    const { storeSecret } = await import("../../../app/.server/meta/vault.ts");
    const slug = `deno-${crypto.randomUUID().slice(0, 8)}`;
    const ids = await sql.begin(async (tx) => {
      const [ag] = await tx`insert into public.agencies (name, slug) values ('Deno Test', ${slug}) returning id`;
      const [ws] = await tx`insert into public.workspaces (agency_id, name, slug) values (${ag!.id}, 'Client', 'client') returning id`;
      const secretId = await storeSecret(tx as never, tok.access_token);
      const [c] = await tx`insert into public.meta_connections (agency_id, workspace_id, kind, facebook_user_id, token_secret_id)
        values (${ag!.id}, ${ws!.id}, 'system_user', ${tok.user_id}, ${secretId}) returning id`;
      const [a] =
        await tx`insert into public.ad_accounts (agency_id, workspace_id, connection_id, meta_account_id, name, currency, timezone_name, backfill_months)
        values (${ag!.id}, ${ws!.id}, ${c!.id}, ${acct.id}, ${acct.name}, ${acct.currency}, ${acct.timezone_name}, 1) returning id`;
      return { adAccountId: a!.id as string };
    });

    const { findDueAccounts } = await import("../../../app/.server/sync/due.ts");
    const due = await sql.begin((tx) => findDueAccounts(tx, 900, 100000));
    assertEquals(due.find((d) => d.adAccountId === ids.adAccountId)?.kind, "backfill", "due kind");

    const { runSync } = await import("../../../app/.server/sync/runner.ts");
    const { configFromEnv, denoSyncDeps } = await import("./deps.ts");
    const r = await runSync(denoSyncDeps(configFromEnv(), sql, { now: () => new Date(NOW), asyncPollMinMs: 5, asyncPollMaxMs: 50 }), {
      adAccountId: ids.adAccountId,
      kind: "backfill",
    });
    assertEquals([r.status, r.error ?? null], ["succeeded", null], "sync result");
    if (!(r.rows > 0)) throw new Error("no rows written");

    const [range] = await sql`select to_char(since, 'YYYY-MM-DD') as since, to_char(until, 'YYYY-MM-DD') as until from public.sync_runs where id = ${r.runId}`;
    const truth = await control("GET", `/truth/daily?account=${acct.id}&since=${range!.since}&until=${range!.until}`);
    const stored =
      await sql`select meta_campaign_id, to_char(date, 'YYYY-MM-DD') as date, publisher_platform, spend::text, impressions::text, conversions::text, conversion_value::text
      from public.insights_daily where ad_account_id = ${ids.adAccountId}`;
    const byKey = new Map(stored.map((s) => [`${s.meta_campaign_id}|${s.date}|${s.publisher_platform}`, s]));
    assertEquals(stored.length, truth.rows.length, "row count");
    for (const t of truth.rows) {
      const s = byKey.get(`${t.campaign_id}|${t.date}|${t.publisher_platform}`);
      if (!s) throw new Error(`missing ${t.campaign_id} ${t.date} ${t.publisher_platform}`);
      assertEquals(
        [decimal(s.spend), s.impressions, decimal(s.conversions), decimal(s.conversion_value)],
        [decimal(t.spend), String(t.impressions), decimal(t.conversions), decimal(t.conversion_value)],
        `${t.date}`,
      );
    }
  } finally {
    await sql.end({ timeout: 5 });
    emu.child.kill("SIGTERM");
    await emu.child.status;
    await dropDb?.();
  }
});
