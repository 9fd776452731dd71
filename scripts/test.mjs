#!/usr/bin/env node
// `npm test`: database, server and emulator suites (vitest), then the browser suite (Playwright).
// Integration tests run on PGlite unless TEST_DATABASE_URL points at a PostgreSQL server.
//
// Both suites always run, so one run shows every failure. The closing line counts tests, not
// files: a failing test counts once; a file that fails without a failing test (an import error, a
// failing hook) counts once; an unhandled error counts once; a suite that ends without its report
// (crash, killed) is named and counts once. Exit status is non-zero when anything failed.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { summarize, testFiles } from "./test-summary.mjs";

const reports = path.resolve(".cache/test-reports");
fs.mkdirSync(reports, { recursive: true });

function run(name, cmd, args, expectedFiles) {
  const out = path.join(reports, `${name}.json`);
  fs.rmSync(out, { force: true });
  process.stdout.write(`\n$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, [...args, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], { stdio: "inherit", env: process.env });
  const status = r.status ?? 1;
  if (!fs.existsSync(out)) {
    const why = r.signal ? `killed by ${r.signal}` : `exit ${status}`;
    return { name, passed: 0, failed: 1, problems: [`the ${name} suite ended without a report (${why})`] };
  }
  return { name, ...summarize(JSON.parse(fs.readFileSync(out, "utf8")), status, expectedFiles) };
}

const tests = path.resolve("tests");
const e2e = path.join(tests, "e2e");
const results = [
  run("server", "npx", ["vitest", "run"], testFiles(tests, [e2e, path.join(tests, "fixtures")])),
  run("browser", "node", ["scripts/e2e.mjs"], testFiles(e2e)),
];
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
process.stdout.write("\n");
for (const r of results) {
  process.stdout.write(`${r.name}: ${r.passed} passed, ${r.failed} failed\n`);
  for (const p of r.problems) process.stdout.write(`  ${p}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
