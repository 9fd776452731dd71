/**
 * The closing line of `npm test` counts tests, not files: a real vitest run over a small fixture
 * suite (one passing test, one failing test, one file that fails on import) reads "1 passed,
 * 2 failed" (it read "1 passed, 3 failed" when failed files were added on top of failed tests).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { summarize } from "../../scripts/test-summary.mjs";
import { runProcess } from "../helpers/run-process";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("npm test's closing line", () => {
  it("counts a failing test once and a file that fails outside its tests once", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "summary-")), "report.json");
    const r = await runProcess(
      process.execPath,
      [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--root", "tests/fixtures/test-summary", "--reporter=json", `--outputFile.json=${out}`],
      { cwd: ROOT, timeoutMs: 240_000 },
    );
    expect(r.status).toBe(1);
    const s = summarize(JSON.parse(fs.readFileSync(out, "utf8")), r.status);
    expect({ passed: s.passed, failed: s.failed }).toEqual({ passed: 1, failed: 2 });
    expect(s.problems).toEqual([expect.stringMatching(/broken-import\.case\.mjs: failed outside any test$/)]);
  });

  it("counts each test file that never ran (a suite that stopped early) once", () => {
    const report = { testResults: [{ name: "/r/tests/e2e/a.test.ts", status: "failed", assertionResults: [{ status: "passed" }, { status: "failed" }] }] };
    const s = summarize(report, 1, ["/r/tests/e2e/a.test.ts", "/r/tests/e2e/b.test.ts", "/r/tests/e2e/c.test.ts"]);
    expect({ passed: s.passed, failed: s.failed }).toEqual({ passed: 1, failed: 3 });
    expect(s.problems.filter((p: string) => /did not run/.test(p))).toHaveLength(2);
  });

  it("counts an error outside the tests when every test passed but the run failed", () => {
    const report = { testResults: [{ name: "a.test.ts", status: "passed", assertionResults: [{ status: "passed" }] }] };
    expect(summarize(report, 1)).toMatchObject({ passed: 1, failed: 1 });
    expect(summarize(report, 0)).toMatchObject({ passed: 1, failed: 0 });
  });
});
