#!/usr/bin/env node
// Browser tests: Playwright (playwright-core) driving Debian's Chromium. Installs the `chromium`
// package when it is missing; never downloads a browser of its own.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { buildArgs, buildIsStale } from "./build-state.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  process.stdout.write("Chromium is missing: installing Debian's chromium package...\n");
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  for (const args of [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", "chromium"],
  ]) {
    const r = spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (r.status !== 0) {
      process.stderr.write("Could not install chromium; install it with: apt-get install chromium\n");
      process.exit(1);
    }
  }
}
if (!fs.existsSync("tests/e2e")) process.exit(0);
// Build once, before the test workers start: a build inside a test file blocks that worker for a
// minute or more (and vitest's RPC with it).
if (buildIsStale(process.cwd())) {
  process.stdout.write("Building the app for the browser tests...\n");
  const b = spawnSync(process.execPath, buildArgs(process.cwd()), { stdio: ["ignore", "ignore", "inherit"] });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.e2e.config.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CHROMIUM_PATH: CHROMIUM },
});
process.exit(r.status ?? 1);
