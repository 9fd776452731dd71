/**
 * Shutdown under any process manager, and what operators watch. The real `npm start` tree (npm ->
 * scripts/start.mjs -> server) and the real worker, on the embedded PGlite or (TEST_DATABASE_URL)
 * PostgreSQL: a signal to any process of the tree stops the whole tree within the bound and frees
 * the port; a process whose parent is killed exits too. /metrics (with its token) carries the named
 * series with non-zero values after the demo's first sync, and /readyz reports each check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, freePort } from "./helpers/server";
import { getResending } from "../helpers/http";
import { alive, commandLine, freshDatabase, portAcceptsConnections, processTree, spawnClean, waitUntil } from "./helpers/processes";

const BOUND_MS = 10_000;
// what the test allows on a loaded machine beyond the server's own bound (the start script's margin)
const ALLOWED_MS = BOUND_MS + 3_000;
const METRICS_TOKEN = "ops-test-metrics-token-0123456789";

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  await ensureBuild();
  db = await freshDatabase();
}, 240_000);
afterAll(async () => {
  await db?.drop();
});

interface Tree {
  port: number;
  npm: number;
  start: number;
  server: number;
  pids: number[];
  output(): string;
}

async function npmStart(): Promise<Tree> {
  const port = await freePort();
  const s = spawnClean("npm", ["start"], {
    ...db.env,
    PORT: String(port),
    EMULATOR_PORT: String(await freePort()),
    SHUTDOWN_TIMEOUT_MS: String(BOUND_MS),
    METRICS_TOKEN,
    SPENDLANE_DEMO: "1",
    // a short history, as the other browser tests use (tests/e2e/helpers/server.ts says why)
    BACKFILL_MONTHS: "2",
    // the web process runs the sync worker on both engines (PostgreSQL's default is separate workers)
    RUN_WORKER: "1",
  });
  await waitUntil(
    `npm start serving /login on ${port}`,
    async () => {
      if (s.child.exitCode !== null) throw new Error(`npm start exited:\n${s.output()}`);
      return (await fetch(`http://127.0.0.1:${port}/login`)
        .then((r) => r.status === 200)
        .catch(() => false)) as boolean;
    },
    120_000,
    250,
  );
  const pids = processTree(s.child.pid!);
  const find = (re: RegExp) => pids.find((p) => re.test(commandLine(p)));
  const start = find(/scripts\/start\.mjs/);
  const server = find(/server\/index\.ts/);
  expect(start, `start script in ${pids.map(commandLine).join(" | ")}`).toBeDefined();
  expect(server).toBeDefined();
  return { port, npm: s.child.pid!, start: start!, server: server!, pids, output: s.output };
}

/** Signals one process and measures until the port is free and no process of the tree is left. */
async function stopAndMeasure(tree: Tree, pid: number, signal: NodeJS.Signals): Promise<number> {
  const started = Date.now();
  process.kill(pid, signal);
  await waitUntil(
    "port free and every process gone",
    async () => !(await portAcceptsConnections(tree.port)) && tree.pids.every((p) => !alive(p)),
    ALLOWED_MS + 5_000,
  );
  return Date.now() - started;
}

describe(`process tree shutdown and metrics (${process.env.TEST_DATABASE_URL ? "PostgreSQL" : "PGlite"})`, () => {
  it("serves /readyz and token-protected /metrics with the named series, non-zero after the demo's first sync; SIGTERM to npm stops the tree", async () => {
    const tree = await npmStart();
    const base = `http://127.0.0.1:${tree.port}`;
    // the demo's in-process worker starts once the demo connections are made
    await expect
      .poll(async () => (await getResending(`${base}/readyz`)).json(), { timeout: 120_000, interval: 500 })
      .toMatchObject({ ready: true, checks: { database: "ok", migrations: "ok", worker: "ok", shutdown: false } });

    expect((await getResending(`${base}/metrics`)).status).toBe(401);
    expect((await getResending(`${base}/metrics`, { headers: { Authorization: "Bearer wrong-token-0123456789abc" } })).status).toBe(401);
    const scrape = async () => (await getResending(`${base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const value = (text: string, series: RegExp) =>
      text
        .split("\n")
        .filter((l) => series.test(l))
        .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
    // the demo's backfills run in the background: wait for the first finished run
    let text = "";
    await waitUntil(
      "a finished sync run in /metrics",
      async () => {
        text = await scrape();
        return value(text, /^spendlane_sync_runs_total\{outcome="succeeded"\}/) > 0;
      },
      240_000,
      1_000,
    );
    await getResending(`${base}/login`);
    text = await scrape();
    for (const name of [
      "spendlane_http_request_duration_seconds_bucket",
      "spendlane_sse_streams_open",
      "spendlane_sync_runs_total",
      "spendlane_sync_seconds_since_success",
      "spendlane_queue_jobs",
      "spendlane_queue_oldest_age_seconds",
      "spendlane_meta_calls_total",
      "spendlane_meta_governor_utilisation_percent",
      "spendlane_report_cache_lookups",
      "spendlane_process_resident_memory_bytes",
    ]) {
      expect(text, name).toContain(`# TYPE ${name.replace(/_bucket$/, "")} `);
    }
    expect(value(text, /^spendlane_http_request_duration_seconds_count\{route="\/login",method="GET",status="2xx"\}/)).toBeGreaterThan(0);
    expect(value(text, /^spendlane_meta_calls_total\{code="ok"\}/)).toBeGreaterThan(0);
    expect(value(text, /^spendlane_sync_runs_total\{outcome="succeeded"\}/)).toBeGreaterThan(0);
    // no raw slug, id or token becomes a label
    expect(text).not.toMatch(/route="\/a\/northwind/);

    const ms = await stopAndMeasure(tree, tree.npm, "SIGTERM");
    expect(ms).toBeLessThan(ALLOWED_MS);
  }, 420_000);

  it("SIGINT to the start script stops the tree", async () => {
    const tree = await npmStart();
    expect(await stopAndMeasure(tree, tree.start, "SIGINT")).toBeLessThan(ALLOWED_MS);
  });

  it("SIGTERM to the server stops the tree", async () => {
    const tree = await npmStart();
    expect(await stopAndMeasure(tree, tree.server, "SIGTERM")).toBeLessThan(ALLOWED_MS);
  });

  it("the server exits when its parent is killed outright (SIGKILL to the start script)", async () => {
    const tree = await npmStart();
    expect(await stopAndMeasure(tree, tree.start, "SIGKILL")).toBeLessThan(ALLOWED_MS);
  });

  it("a worker stops on SIGTERM, and exits when its parent dies", async () => {
    // production outside the demo needs its public origin
    const env = { ...db.env, SHUTDOWN_TIMEOUT_MS: String(BOUND_MS), NODE_ENV: "production", APP_URL: "http://127.0.0.1:3000" };
    const startWorker = async (viaShell: boolean) => {
      // `; true` keeps the shell alive as the worker's parent (sh would otherwise exec the worker)
      const w = viaShell
        ? spawnClean("sh", ["-c", `"${process.execPath}" cli/bin.mjs worker; true`], env)
        : spawnClean(process.execPath, ["cli/bin.mjs", "worker"], env);
      await waitUntil("worker running", () => /spendlane worker running/.test(w.output()), 120_000);
      const exited = new Promise<number | null>((resolve) => w.child.once("exit", (code) => resolve(code)));
      return { ...w, exited, pids: processTree(w.child.pid!) };
    };
    const direct = await startWorker(false);
    let started = Date.now();
    direct.child.kill("SIGTERM");
    expect(await direct.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(ALLOWED_MS);
    expect(direct.output()).toMatch(/"reason":"SIGTERM".*"msg":"shut down"/);

    const orphan = await startWorker(true);
    expect(orphan.pids.length).toBeGreaterThan(1);
    started = Date.now();
    orphan.child.kill("SIGKILL");
    await waitUntil("orphaned worker gone", () => orphan.pids.every((p) => !alive(p)), ALLOWED_MS + 5_000);
    expect(Date.now() - started).toBeLessThan(ALLOWED_MS);
  }, 300_000);
});
