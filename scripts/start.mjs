#!/usr/bin/env node
// `npm start`: build the app when the build is missing or older than the sources, then serve it.
//
// Signals: SIGTERM/SIGINT/SIGHUP are passed to the running child (the build, then the server), and
// this process exits with the child. The server is started with an IPC channel, so it shuts itself
// down the moment this process dies, however it dies; and this process stops its child when its own
// parent (npm, a shell, a process manager) goes away. package.json's `exec` makes npm's signal reach
// this process directly instead of an intermediate shell.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { buildArgs, buildIsStale } from "./build-state.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);

/** The server's own bound plus a margin: after that the child is killed. */
const boundMs = Number(process.env.SHUTDOWN_TIMEOUT_MS || 10_000) + 2_000;

let child;
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  if (!child || child.exitCode !== null || child.signalCode !== null) process.exit(signal === "parent" ? 1 : 0);
  child.kill(signal === "parent" ? "SIGTERM" : signal);
  setTimeout(() => {
    process.stderr.write(`Spendlane did not stop within ${boundMs} ms; killing it\n`);
    child.kill("SIGKILL");
  }, boundMs).unref();
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => stop(sig));
const parent = process.ppid;
setInterval(() => process.ppid !== parent && stop("parent"), 500).unref();

function run(args, opts) {
  child = spawn(process.execPath, args, opts);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

if (buildIsStale(root)) {
  process.stdout.write("Building Spendlane...\n");
  const r = await run(buildArgs(root), { stdio: ["ignore", "ignore", "inherit"] });
  if (stopping || r.code !== 0) process.exit(r.code ?? 1);
}

const envFile = fs.existsSync(path.join(root, ".env")) ? ["--env-file=.env"] : [];
// Demo mode is explicit (SPENDLANE_DEMO, docs/decisions/0064): `npm start` turns it on by default only
// for the embedded engine without a Meta app (no DATABASE_URL, no META_APP_ID, in the shell or .env),
// which is what a fresh clone is. Any deployment with a database or a Meta app must say so itself.
const fileEnv = envFile.length ? parseEnv(fs.readFileSync(path.join(root, ".env"), "utf8")) : {};
const setting = (name) => process.env[name] ?? fileEnv[name];
const demoDefault = setting("SPENDLANE_DEMO") === undefined && !setting("DATABASE_URL") && !setting("META_APP_ID") ? { SPENDLANE_DEMO: "1" } : {};
const r = await run([...envFile, "--import", "tsx", path.join(root, "server/index.ts")], {
  stdio: ["inherit", "inherit", "inherit", "ipc"],
  env: { NODE_ENV: "production", ...demoDefault, ...process.env },
});
process.exit(r.code ?? (r.signal ? 1 : 0));
