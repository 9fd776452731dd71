// The closing line of `npm test`: what one suite's report counts as passed and failed.
import fs from "node:fs";
import path from "node:path";

/**
 * Counts from one suite's vitest JSON report (Jest's shape) and the suite's exit status.
 * `expectedFiles` (absolute paths) are the suite's test files: one the report does not mention never
 * ran (the run stopped early) and counts as one failure.
 */
export function summarize(report, exitStatus, expectedFiles = []) {
  let passed = 0;
  let failed = 0;
  const problems = [];
  const reported = new Set((report.testResults ?? []).map((f) => f.name));
  for (const file of expectedFiles) {
    if (reported.has(file)) continue;
    failed += 1;
    problems.push(`${path.relative(process.cwd(), file)}: did not run (the suite stopped early)`);
  }
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    passed += tests.filter((t) => t.status === "passed").length;
    const failedTests = tests.filter((t) => t.status === "failed").length;
    failed += failedTests;
    if (file.status === "failed" && failedTests === 0) {
      failed += 1;
      problems.push(`${path.relative(process.cwd(), file.name)}: failed outside any test`);
    }
  }
  // vitest exits non-zero on unhandled errors even when every test passed
  if (exitStatus !== 0 && failed === 0) {
    failed += 1;
    problems.push("the run reported an error outside the tests (see the output above)");
  }
  return { passed, failed, problems };
}

/** Test files under `dir` whose names end in `.test.ts`, except under `exclude` (absolute paths). */
export function testFiles(dir, exclude = []) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (exclude.includes(p)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".test.ts")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
