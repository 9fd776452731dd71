/** What the benchmarks share: paths, secrets of the throwaway bench databases, ports, percentiles, a server. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import postgres from "postgres";

export const root = path.resolve(import.meta.dirname, "..");
export const SESSION_SECRET = "bench-session-secret-0123456789abcdefghijkl";
export const VAULT_KEY = Buffer.alloc(32, 7).toString("base64");
/** The PostgreSQL server benchmarks create their databases on. */
export const BENCH_PG = process.env.BENCH_DATABASE_URL ?? process.env.BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Throws unless the production build exists. Benchmarks that start the built server call this first,
 * before any seeding, so an unbuilt clone fails in a second rather than after a minute of inserts.
 */
export function requireBuild(): void {
  if (!fs.existsSync(path.join(root, "build/server/index.js"))) throw new Error("Build first: npx remix vite:build");
}

/** BENCH_PG with another database name. */
export function dbUrl(name: string) {
  const u = new URL(BENCH_PG);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Milliseconds of one GET with an optional cookie, body read to the end; anything but 200 throws. */
export async function timeGet(url: string, cookie?: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url} -> ${res.status}`);
  return ms;
}

/** Nearest-rank percentile. */
export function pct(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

/**
 * Starts the real built server (production mode, no demo) on a free port with `env` on top of this
 * process's environment, and waits until GET /healthz answers.
 */
export async function startServer(env: Record<string, string>, opts: { stderr?: "inherit" | "ignore" } = {}): Promise<{ base: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/index.ts")], {
    cwd: root,
    // production outside the demo needs its public origin (APP_URL)
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      SPENDLANE_DEMO: "0",
      APP_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: "silent",
      SESSION_SECRET,
      VAULT_KEY,
      ...env,
    },
    stdio: ["ignore", "ignore", opts.stderr ?? "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    if (i > 600) throw new Error("server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, server };
}

/** Resolves with the first line of a child's output that matches; rejects on timeout or exit. */
export function lineFrom(child: ChildProcess, stream: "stdout" | "stderr", match: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`no ${match} within ${timeoutMs} ms: ${buf.slice(-500)}`)), timeoutMs);
    child[stream]!.on("data", (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n").find((l) => match.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited with ${code} before ${match}: ${buf.slice(-500)}`)));
  });
}

/** The Meta emulator in its own process (bench/emulator-process.ts), with `options` (EmulatorOptions) and optionally a fixed valid system-user token. */
export async function startEmulatorProcess(options: Record<string, unknown>, systemUserToken?: string): Promise<{ url: string; child: ChildProcess }> {
  const args = [path.join(root, "bench/emulator-process.ts"), JSON.stringify(options), ...(systemUserToken ? [systemUserToken] : [])];
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = JSON.parse(await lineFrom(child, "stdout", /"url"/, 60_000)).url as string;
  return { url, child };
}

/** `spendlane worker` processes (the production worker) with `env` on top of this process's environment; resolves once each runs. */
export async function startWorkers(n: number, env: Record<string, string> | ((i: number) => Record<string, string>)): Promise<ChildProcess[]> {
  const workers = Array.from({ length: n }, (_, i) =>
    spawn(process.execPath, [path.join(root, "cli/bin.mjs"), "worker"], {
      cwd: root,
      env: { ...process.env, ...(typeof env === "function" ? env(i) : env) },
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
  await Promise.all(workers.map((w) => lineFrom(w, "stderr", /worker running/, 60_000)));
  return workers;
}

/** SIGTERM, then wait for the exit (the worker finishes or hands back its running jobs). */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** The environment of app and worker processes a benchmark starts against its database and an emulator. */
export function appProcessEnv(db: string, emulatorUrl: string, appId: string, appSecret: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl(db),
    SESSION_SECRET,
    VAULT_KEY,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    APP_URL: "http://127.0.0.1:1",
    SPENDLANE_DEMO: "0",
    META_GRAPH_URL: emulatorUrl,
    META_WEB_URL: emulatorUrl,
    META_APP_ID: appId,
    META_APP_SECRET: appSecret,
  };
}

/** Drops and creates a benchmark's own database on BENCH_PG. */
export async function freshDatabase(name: string): Promise<void> {
  const admin = postgres(BENCH_PG, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
}
