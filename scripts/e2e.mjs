#!/usr/bin/env node
// Browser tests: Playwright (playwright-core) driving Debian's Chromium. Installs the `chromium`
// package when it is missing; never downloads a browser of its own.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) {
  process.stdout.write("Chromium is missing: installing Debian's chromium package...\n");
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  for (const args of [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]]) {
    const r = spawnSync(sudo[0] ?? args[0], sudo.length ? args : args.slice(1), { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status !== 0) {
      process.stderr.write("Could not install chromium; install it with: apt-get install chromium\n");
      process.exit(1);
    }
  }
}
if (!fs.existsSync("tests/e2e")) process.exit(0);
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.e2e.config.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, CHROMIUM_PATH: CHROMIUM },
});
process.exit(r.status ?? 1);
