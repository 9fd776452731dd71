/**
 * Process-tree helpers for the operations tests: start `npm start` or a worker with a clean
 * environment, find a process's descendants (from /proc), and wait for a port to be free and every
 * process of a tree to be gone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";

export const ROOT = path.resolve(import.meta.dirname, "../../..");

/** Direct children of every pid, read from /proc/<pid>/stat. */
function childrenByParent(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses; split after the last ")"
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(entry));
      map.set(ppid, list);
    } catch {
      // the process ended while we read
    }
  }
  return map;
}

/** The pid and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const map = childrenByParent();
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of map.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // a zombie has exited; only its parent has not collected it yet
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

export function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

export interface Started {
  child: ChildProcess;
  port: number;
  output(): string;
}

/**
 * A fresh database for one process tree: a new PostgreSQL database on `base` (default
 * TEST_DATABASE_URL's server), or a PGlite DATA_DIR when there is no PostgreSQL to use.
 */
export async function freshDatabase(
  base = process.env.TEST_DATABASE_URL,
): Promise<{ env: Record<string, string>; engine: "postgres" | "pglite"; drop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "spendlane-ops-"));
  if (!base) return { env: { DATA_DIR: dataDir }, engine: "pglite", drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  const name = `spendlane_ops_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    engine: "postgres",
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: u.toString(),
      SESSION_SECRET: "ops-test-session-secret-0123456789abcdef",
      VAULT_KEY: Buffer.alloc(32, 7).toString("base64"),
      APP_URL: "http://127.0.0.1",
    },
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Spawns a command with a clean environment (nothing from the developer's shell) and collects its output. */
export function spawnClean(cmd: string, args: string[], env: Record<string, string>): { child: ChildProcess; output(): string } {
  let out = "";
  const child: ChildProcess = spawn(cmd, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), LOG_LEVEL: "info", ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (out += d));
  return { child, output: () => out };
}
