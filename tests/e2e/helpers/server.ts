/**
 * Starts the real Spendlane server for browser tests, exactly as `npm start` runs it: the production
 * build (built once when missing or older than the sources), `node --import tsx server/index.ts`, a
 * fresh temporary DATA_DIR (embedded PGlite), demo mode (SPENDLANE_DEMO=1, as `npm start` sets it on
 * the embedded engine) with a 2-month backfill, on a free port. Resolves
 * once /login answers, with the demo login the server printed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { buildArgs, buildIsStale } from "../../../scripts/build-state.mjs";
import { runProcess } from "../../helpers/run-process";

const ROOT = path.resolve(import.meta.dirname, "../../..");

export interface RunningServer {
  url: string;
  /** Parsed from the "Demo login: email / password" banner line. */
  demoLogin: { email: string; password: string } | null;
  /** The server's DATA_DIR (its PGlite socket address is in socket.json there, for writers in the test). */
  dataDir: string;
  /** Where the demo's Meta emulator listens (EMULATOR_PORT), for its /__emulator control API. */
  emulatorUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Builds the app unless the build is newer than everything under app/ (scripts/e2e.mjs builds first).
 * Without blocking the test process while it builds (see tests/helpers/run-process.ts).
 */
export async function ensureBuild() {
  if (!buildIsStale(ROOT)) return;
  // a guard against a hang: a build takes minutes on a busy two-core machine
  const build = () => runProcess(process.execPath, buildArgs(ROOT), { cwd: ROOT, timeoutMs: 600_000 });
  // One retry: another build of the same tree (npm start, a second test run) may have been moving
  // the output directory at the same moment ("dest already exists").
  let r = await build();
  if (r.status !== 0) r = await build();
  if (r.status !== 0) throw new Error(`remix vite:build failed:\n${r.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startServer(opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunningServer> {
  await ensureBuild();
  const port = await freePort();
  const emulatorPort = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "spendlane-e2e-"));
  // A clean environment: nothing from the developer's shell (DATABASE_URL, META_APP_ID) leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "production",
    PORT: String(port),
    EMULATOR_PORT: String(emulatorPort),
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    SPENDLANE_DEMO: "1",
    // Browser tests exercise pages over recent ranges, not history depth (the 13-month backfill with
    // ads is covered by tests/integration/sync-backfill.test.ts and measured in bench/):
    // a 2-month demo backfill ends in about a minute instead of several on a busy machine.
    BACKFILL_MONTHS: "2",
    // its public origin, as a deployment sets it (links in mail, CSRF); the browser uses this URL
    APP_URL: `http://127.0.0.1:${port}`,
    // As in the server tests (vitest.config.ts): on a busy machine the demo backfill can hold the
    // embedded database past the production start limit (15 s), and the page then answers 503 "try
    // again" (seen at load 15: drilldown, team, alerts). These tests check flows, not that limit
    // (tests/integration/security-resilience.test.ts does), so a page waits as long as a server test.
    DATABASE_CONNECT_TIMEOUT_SECONDS: "120",
    ...opts.env,
  };
  let out = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/index.ts")], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  // tsx compiles the server at start: minutes, not seconds, on a loaded two-core machine (one run
  // took past 90 s with four other suites running); a guard against a hang inside the 240 s hook limit
  const deadline = Date.now() + (opts.timeoutMs ?? 200_000);
  let ready = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/login`, { redirect: "manual" });
      if (res.status === 200) {
        ready = true;
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`server did not serve /login within the timeout:\n${out}`);
  }
  const m = /Demo login: (\S+) \/ (\S+)/.exec(out);
  return {
    url,
    demoLogin: m ? { email: m[1], password: m[2] } : null,
    dataDir,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
