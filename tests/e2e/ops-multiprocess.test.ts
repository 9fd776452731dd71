/**
 * The multi-process deployment of docs/deploy.md, for real: two web processes and two sync workers
 * (each its own `node` process, as an operator runs them) on one PostgreSQL, with pg-boss as the
 * shared queue and the Meta emulator standing in for Facebook.
 * - A browser on web 1 sees, without a reload, the numbers of a sync that worker 2 ran (NOTIFY from
 *   the worker's transaction, LISTEN in web 1, SSE to the page).
 * - Worker 1 is killed (SIGKILL) in the middle of a backfill; worker 2 takes the job over and resumes
 *   the same run from its checkpoint; the stored facts equal the emulator's truth to the cent.
 * - With both workers draining a burst of requests, no account is ever synced by two runs at once.
 * PGlite is single-process by design, so this file always uses PostgreSQL: TEST_DATABASE_URL's
 * server, or the local one at 127.0.0.1:5432.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { configureDatabase, sql } from "../../app/.server/db/connection";
import { resetEnvForTests } from "../../app/.server/env";
import { requestSync, stopWorker } from "../../app/.server/sync/scheduler";
import { accountToday } from "../../app/.server/sync/planner";
import { startEmulator, DEFAULT_APP_ID, DEFAULT_APP_SECRET, type RunningEmulator } from "../../emulator/meta-graph/index";
import { connectTenant, control, diffAgainstTruth, type ConnectedTenant } from "../helpers/sync-helpers";
import { TEST_PASSWORD } from "../helpers/factories";
import { launchBrowser, screenshot } from "./helpers/browser";
import { ensureBuild, freePort } from "./helpers/server";
import { freshDatabase, spawnClean, waitUntil } from "./helpers/processes";

const PG = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
// Short, so a killed worker's run is taken over within the test; long enough that a live worker on a
// loaded machine renews in time (renewed every third of it). At 3 s, a CI run saw a live run's lease
// lapse and another worker take the account over.
const LEASE_SECONDS = 10;

let db: Awaited<ReturnType<typeof freshDatabase>>;
let emu: RunningEmulator;
let browser: Browser;
let tenant: ConnectedTenant;
let tenantB: ConnectedTenant;
const running: { child: import("node:child_process").ChildProcess; exited: Promise<unknown> }[] = [];
let env: Record<string, string>;

type Proc = ReturnType<typeof spawnClean> & { exited: Promise<number | null>; name: string };

function startProcess(name: string, args: string[], extra: Record<string, string> = {}): Proc {
  const p = spawnClean(process.execPath, args, { ...env, ...extra });
  const exited = new Promise<number | null>((resolve) => p.child.once("exit", (code) => resolve(code)));
  running.push({ child: p.child, exited });
  return { ...p, exited, name };
}

async function startWeb(name: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // behind a load balancer every web process has the public URL; here each is its own origin
  const proc = startProcess(name, ["--import", "tsx", "server/index.ts"], { PORT: String(port), APP_URL: url });
  await waitUntil(
    `${name} ready`,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
      return (await fetch(`${url}/readyz`)
        .then((r) => r.status === 200)
        .catch(() => false)) as boolean;
    },
    120_000,
    250,
  );
  return { proc, url };
}

async function startWorkerProcess(name: string): Promise<Proc> {
  const proc = startProcess(name, ["cli/bin.mjs", "worker"]);
  await waitUntil(
    `${name} running`,
    () => {
      if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
      return /spendlane worker running/.test(proc.output());
    },
    120_000,
  );
  return proc;
}

beforeAll(async () => {
  await ensureBuild();
  db = await freshDatabase(PG);
  emu = await startEmulator({ port: 0, seed: "multi-process" });
  env = {
    ...db.env,
    NODE_ENV: "production",
    SPENDLANE_DEMO: "0",
    // every production process needs the public origin (workers too, docs/deploy.md); web processes
    // below get their own
    APP_URL: "http://127.0.0.1:3000",
    META_APP_ID: DEFAULT_APP_ID,
    META_APP_SECRET: DEFAULT_APP_SECRET,
    META_GRAPH_URL: emu.url,
    META_WEB_URL: emu.url,
    RUN_WORKER: "0",
    SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
    // room for a worker to finish the job it holds on a loaded machine (a 5 s bound ran out once:
    // worker 2 exited 1 on SIGTERM); the bound itself is tested in ops-signals.test.ts
    SHUTDOWN_TIMEOUT_MS: "30000",
    LOG_LEVEL: "warn",
  };
  // This process writes the tenant (and its token, through the vault) with the same keys.
  Object.assign(process.env, {
    DATABASE_URL: env.DATABASE_URL,
    SESSION_SECRET: env.SESSION_SECRET,
    VAULT_KEY: env.VAULT_KEY,
    SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
  });
  resetEnvForTests();
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(running.map((p) => p.exited));
  await stopWorker(1000).catch(() => {});
  await browser?.close();
  await sql()
    .end({ timeout: 2 })
    .catch(() => {});
  await emu?.close();
  await db?.drop();
});

describe("two web processes and two workers on one PostgreSQL", () => {
  let web1: { proc: Proc; url: string };
  let worker1: Proc;
  let worker2: Proc;

  it("a browser on web 1 sees, without a reload, a sync run by worker 2", async () => {
    // both web processes boot at once: migrations run once under the advisory lock
    const [w1, w2] = await Promise.all([startWeb("web 1"), startWeb("web 2")]);
    web1 = w1;
    expect((await fetch(`${w2.url}/readyz`)).status).toBe(200);
    configureDatabase(env.DATABASE_URL!);
    tenant = await connectTenant(emu, { n: 1, backfillMonths: 1 });
    worker2 = await startWorkerProcess("worker 2");

    const [owner] = await sql()<{ email: string }[]>`select email from public.users where id = ${tenant.users.owner}`;
    const context = await browser.newContext({ baseURL: web1.url, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto("/login");
    await page.getByLabel("Email").fill(owner!.email);
    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/a/"));
    await page.goto(`/a/${tenant.agencySlug}/w/${tenant.workspaceSlug}`);
    await page.waitForSelector('[data-live="on"]');
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    // the worker's own tick may have queued it already (the account is due): either way one job runs
    const a = tenant.accounts[0]!;
    await requestSync(a.id, "backfill");
    const spend = page.locator(`[data-metric="spend"][data-currency="${a.currency}"]`).first();
    await expect
      .poll(async () => Number((await spend.getAttribute("data-value").catch(() => null)) ?? 0), { timeout: 120_000, interval: 250 })
      .toBeGreaterThan(0);
    // the same document: a live update, not a page load
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(1);
    // the headline numbers land before the run ends (audience breakdowns follow): wait for its end
    await expect
      .poll(
        async () =>
          (await sql()<{ status: string }[]>`select status from public.sync_runs where ad_account_id = ${a.id} order by created_at desc limit 1`)[0]?.status,
        { timeout: 300_000, interval: 500 },
      )
      .toBe("succeeded");
    await screenshot(page, "multiprocess-web1-live");
    await context.close();
  }, 420_000);

  it("worker 1 killed mid-backfill: worker 2 resumes the same run from its checkpoint and nothing is lost", async () => {
    // worker 2 steps aside so worker 1 takes the job; it comes back after the kill
    worker2.child.kill("SIGTERM");
    expect(await worker2.exited, worker2.output()).toBe(0);
    // a second client with 4 months to backfill (ads and audience breakdowns), every Graph call of it slowed down
    const world = await control<{ accounts: { id: string; account_status: number }[] }>(emu, "GET", "/world");
    const other = world.accounts.filter((x) => x.account_status === 1 && x.id !== tenant.accounts[0]!.metaAccountId)[0]!.id;
    await control(emu, "POST", "/faults", { kind: "slow", account: other, delayMs: 300, count: 100_000 });
    tenantB = await connectTenant(emu, { accounts: [other], backfillMonths: 4 });
    const b = tenantB.accounts[0]!;
    worker1 = await startWorkerProcess("worker 1");
    await requestSync(b.id, "backfill");

    let run: { id: string; days_done: number } | undefined;
    await waitUntil(
      "a committed chunk of B's backfill",
      async () => {
        [run] = await sql()<{ id: string; days_done: number }[]>`
        select id, days_done from public.sync_runs where ad_account_id = ${b.id} and status = 'running' and days_done > 0 order by created_at desc limit 1`;
        return !!run;
      },
      180_000,
      200,
    );
    worker1.child.kill("SIGKILL");
    await worker1.exited;
    const [killed] = await sql()<{ days_done: number; status: string }[]>`select days_done, status from public.sync_runs where id = ${run!.id}`;
    expect(killed!.status).toBe("running");
    await control(emu, "DELETE", "/faults");
    // what makes a job abandoned: its run's lease ran out and it started more than two lease lengths ago
    await waitUntil(
      "the dead worker's job to count as abandoned",
      async () => {
        const [j] = await sql()<{ n: number }[]>`
          select count(*)::int as n from pgboss.job j join public.ad_accounts a on a.id::text = j.singleton_key
          where a.id = ${b.id} and j.name = 'sync-account' and j.state = 'active'
            and j.started_on < now() - ${2 * LEASE_SECONDS} * interval '1 second' and a.sync_lease_until < now()`;
        return j!.n === 1;
      },
      120_000,
      500,
    );

    worker2 = await startWorkerProcess("worker 2 (again)");
    await waitUntil(
      "B's run finished",
      async () => {
        const [r] = await sql()<{ status: string }[]>`select status from public.sync_runs where id = ${run!.id}`;
        return r?.status !== "running";
      },
      480_000,
      500,
    );
    const [resumed] = await sql()<{ status: string; days_done: number }[]>`select status, days_done from public.sync_runs where id = ${run!.id}`;
    expect(resumed!.status).toBe("succeeded");
    expect(resumed!.days_done).toBeGreaterThan(killed!.days_done);
    // no second run was started for B: the same run resumed
    const [count] = await sql()<{ n: number }[]>`select count(*)::int as n from public.sync_runs where ad_account_id = ${b.id}`;
    expect(count!.n).toBe(1);
    const [acct] = await sql()<{ since: string }[]>`select to_char(backfilled_since, 'YYYY-MM-DD') as since from public.ad_accounts where id = ${b.id}`;
    // up to yesterday: today's delivery keeps growing with the emulator's clock while we compare
    const today = accountToday(b.timezone, new Date());
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect(await diffAgainstTruth(emu, b.id, b.metaAccountId, acct!.since, yesterday)).toEqual([]);
  }, 900_000);

  it("with both workers draining a burst, no account is synced by two runs at once", async () => {
    worker1 = await startWorkerProcess("worker 1 (again)");
    const accounts = [...tenant.accounts, ...tenantB.accounts];
    // The burst's runs are small; with Meta's call counters fresh none of them pauses for the rate limit
    // (a paused run keeps its first started_at while others work during the pause, see below).
    await control(emu, "POST", "/limits", { resetCounters: true });
    const [{ burstStart }] = await sql()<{ burstStart: Date }[]>`select now() as "burstStart"`;
    for (let round = 0; round < 3; round++) {
      for (const a of accounts) {
        await requestSync(a.id, "manual");
        await requestSync(a.id, "incremental");
      }
    }
    await waitUntil(
      "the queue drained",
      async () => {
        const [left] = await sql()<{ n: number }[]>`
        select count(*)::int as n from pgboss.job where name = 'sync-account' and state in ('created', 'retry', 'active')`;
        return left!.n === 0;
      },
      300_000,
      500,
    );
    // The runs of the burst, from start to end, never overlap. Earlier runs are left out: a run paused
    // by Meta's rate limit (status queued) keeps its first started_at, and other runs of the account
    // work during the pause under the lease. A loaded run once found test 1's backfill and a restatement,
    // both succeeded, with overlapping spans; a pause of the backfill explains it.
    // (kinds, statuses and errors in the list, should there be an overlap to explain)
    const overlaps = await sql()<{ account: string }[]>`
      select r1.ad_account_id as account, r1.kind || ' ' || r1.status || ' ' || coalesce(r1.error, '') as first,
             r2.kind || ' ' || r2.status || ' ' || coalesce(r2.error, '') as second
      from public.sync_runs r1 join public.sync_runs r2
        on r1.ad_account_id = r2.ad_account_id and r1.id < r2.id
      where r1.started_at >= ${burstStart} and r2.started_at >= ${burstStart}
        and tstzrange(r1.started_at, coalesce(r1.finished_at, now())) && tstzrange(r2.started_at, coalesce(r2.finished_at, now()))`;
    expect(overlaps).toEqual([]);
    const [done] = await sql()<{ n: number }[]>`
      select count(*)::int as n from public.sync_runs where ad_account_id = any(${accounts.map((a) => a.id)}::uuid[]) and status = 'succeeded'`;
    expect(done!.n).toBeGreaterThan(accounts.length);
  }, 420_000);
});
