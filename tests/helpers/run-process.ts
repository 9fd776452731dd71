/**
 * Runs a command to its end without blocking the test process. spawnSync blocked a vitest worker's
 * event loop for as long as the child ran (a minute or more on a busy machine), and vitest's own
 * messages from that worker timed out ("Timeout calling onTaskUpdate"), failing a run no test failed.
 */
import { execFile, type ExecFileOptions } from "node:child_process";

export interface Finished {
  /** The exit status, or null when the child was killed (by the time limit or a signal). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `timeoutMs` guards against a hang (the child is killed), not speed: give it what a loaded machine needs.
 * `input`, when given, is written to the child's stdin, which is then closed.
 */
export function runProcess(command: string, args: string[], opts: ExecFileOptions & { timeoutMs: number; input?: string }): Promise<Finished> {
  const { timeoutMs, input, ...rest } = opts;
  return new Promise((resolve) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...rest, encoding: "utf8", timeout: timeoutMs }, (err, stdout, stderr) => {
      // err.code is the exit status when the child exited non-zero; a string (ENOENT...) or absent otherwise
      const status = !err ? 0 : typeof err.code === "number" ? err.code : null;
      const why = err && status === null ? `\n${err.message}` : "";
      resolve({ status, stdout: String(stdout), stderr: String(stderr) + why });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
