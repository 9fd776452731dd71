#!/usr/bin/env node
// `npm test`: database, server and emulator suites (vitest), then the browser suite (Playwright).
// Integration tests run on PGlite unless TEST_DATABASE_URL points at a PostgreSQL server.
import { spawnSync } from "node:child_process";

function run(cmd, args) {
  process.stdout.write(`\n$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: process.env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run("npx", ["vitest", "run"]);
run("node", ["scripts/e2e.mjs"]);
