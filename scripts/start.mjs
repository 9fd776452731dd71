#!/usr/bin/env node
// `npm start`: build the app when the build is missing or older than the sources, then serve it.
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

const marker = path.join(root, "build/server/index.js");
const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
if (built < newestMtime(path.join(root, "app"))) {
  process.stdout.write("Building Spendlane...\n");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const envFile = fs.existsSync(path.join(root, ".env")) ? ["--env-file=.env"] : [];
// Demo mode is explicit (SPENDLANE_DEMO, docs/decisions/0064): `npm start` turns it on by default only
// for the embedded engine without a Meta app (no DATABASE_URL, no META_APP_ID, in the shell or .env),
// which is what a fresh clone is. Any deployment with a database or a Meta app must say so itself.
const fileEnv = envFile.length ? parseEnv(fs.readFileSync(path.join(root, ".env"), "utf8")) : {};
const setting = (name) => process.env[name] ?? fileEnv[name];
const demoDefault = setting("SPENDLANE_DEMO") === undefined && !setting("DATABASE_URL") && !setting("META_APP_ID") ? { SPENDLANE_DEMO: "1" } : {};
const child = spawn(process.execPath, [...envFile, "--import", "tsx", path.join(root, "server/index.ts")], {
  stdio: "inherit",
  env: { NODE_ENV: "production", ...demoDefault, ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
