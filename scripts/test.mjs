#!/usr/bin/env node
// `npm test`: database, server and emulator suites (vitest), then the browser suite (Playwright).
// Integration tests run on PGlite unless TEST_DATABASE_URL points at a PostgreSQL server.
// Ends with one plain "N passed, N failed" line over both suites.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const reports = path.resolve(".cache/test-reports");
fs.mkdirSync(reports, { recursive: true });
let passed = 0;
let failed = 0;

function run(name, cmd, args) {
  const out = path.join(reports, `${name}.json`);
  fs.rmSync(out, { force: true });
  process.stdout.write(`\n$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, [...args, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], { stdio: "inherit", env: process.env });
  if (fs.existsSync(out)) {
    const j = JSON.parse(fs.readFileSync(out, "utf8"));
    passed += j.numPassedTests ?? 0;
    failed += (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0);
  } else if (r.status !== 0) {
    failed += 1;
  }
  if (r.status !== 0) {
    process.stdout.write(`\n${passed} passed, ${Math.max(failed, 1)} failed\n`);
    process.exit(r.status ?? 1);
  }
}

run("server", "npx", ["vitest", "run"]);
run("browser", "node", ["scripts/e2e.mjs"]);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
