import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { once } from "node:events";

describe("cli", () => {
  it("`spendlane emulator --port 0 --seed S` prints {url,port} JSON on stdout, serves, and exits on SIGTERM", async () => {
    const child = spawn(process.execPath, ["cli/bin.mjs", "emulator", "--port", "0", "--seed", "cli-seed"], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      // a guard against a hang, not a speed check: the CLI compiles TypeScript at start, which takes
      // tens of seconds while a loaded machine runs other suites (two runs timed out at 15 s)
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`no output; stderr: ${err}`));
      }, 150_000);
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) {
          clearTimeout(t);
          resolve(out.split("\n")[0]!);
        }
      });
    });
    const info = JSON.parse(line);
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
    const health = await fetch(`${info.url}/__emulator/health`).then((r) => r.json());
    expect(health).toMatchObject({ ok: true, seed: "cli-seed" });
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(err).toContain("listening on");
  });
});
