/**
 * How a Spendlane process ends: on SIGTERM, SIGINT or SIGHUP, and when the process that started it
 * is gone (a child must never outlive its parent and keep serving the port). Shutdown runs the given
 * steps once, in order, inside one bound (SHUTDOWN_TIMEOUT_MS, default 10 s); past the bound the
 * process exits anyway with status 1, so a process manager's restart never waits on us for ever.
 *
 * Parent detection: a process started with an IPC channel (scripts/start.mjs starts the server so)
 * hears `disconnect` the moment its parent dies; any other process watches its parent pid, which
 * changes when the parent exits and the process is re-parented.
 */
import { logger } from "../logger";

const log = logger.child({ module: "lifecycle" });

export interface ShutdownStep {
  name: string;
  run(remainingMs: number): Promise<void> | void;
}

export interface Lifecycle {
  /** Starts the shutdown (idempotent); resolves when the steps are done (the process then exits). */
  shutdown(reason: string): Promise<void>;
  readonly closing: boolean;
}

// On globalThis: the server entry and the Vite-built app bundle each load their own copy of this module.
const holder = ((globalThis as Record<string, unknown>).__spendlaneLifecycle ??= {}) as { current?: Lifecycle };

/** The running process's lifecycle, if one was installed (readiness answers 503 while closing). */
export function processLifecycle(): Lifecycle | undefined {
  return holder.current;
}

export function installLifecycle(opts: {
  timeoutMs: number;
  steps: ShutdownStep[];
  /** For tests: what ends the process (default process.exit). */
  exit?: (code: number) => void;
  parentPollMs?: number;
}): Lifecycle {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  let done: Promise<void> | undefined;
  let parentTimer: NodeJS.Timeout | undefined;

  const shutdown = (reason: string): Promise<void> => {
    if (done) return done;
    closing = true;
    clearInterval(parentTimer);
    const started = Date.now();
    log.info({ reason, timeoutMs: opts.timeoutMs }, "shutting down");
    const hard = setTimeout(() => {
      log.error({ reason, timeoutMs: opts.timeoutMs }, "shutdown exceeded its bound; exiting now");
      exit(1);
    }, opts.timeoutMs);
    hard.unref();
    done = (async () => {
      let failed = false;
      for (const step of opts.steps) {
        const remaining = opts.timeoutMs - (Date.now() - started);
        try {
          await step.run(Math.max(0, remaining));
        } catch (err) {
          failed = true;
          log.error({ err, step: step.name }, "shutdown step failed");
        }
      }
      clearTimeout(hard);
      log.info({ reason, ms: Date.now() - started }, "shut down");
      exit(failed ? 1 : 0);
    })();
    return done;
  };

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => void shutdown(signal));
  if (process.send && process.connected) {
    process.once("disconnect", () => void shutdown("parent exited"));
  } else {
    const parent = process.ppid;
    parentTimer = setInterval(() => {
      if (process.ppid !== parent) void shutdown("parent exited");
    }, opts.parentPollMs ?? 500);
    parentTimer.unref();
  }
  holder.current = {
    shutdown,
    get closing() {
      return closing;
    },
  };
  return holder.current;
}
