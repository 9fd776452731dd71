// The closing line of `npm test`: what one suite's report counts as passed and failed.
import path from "node:path";

/** Counts from one suite's vitest JSON report (Jest's shape) and the suite's exit status. */
export function summarize(report, exitStatus) {
  let passed = 0;
  let failed = 0;
  const problems = [];
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
