import { startEmulator, RunningEmulator } from "./index";

/** Starts the emulator, prints {"url","port"} JSON on stdout, logs to stderr, runs until SIGINT/SIGTERM. */
export async function runEmulatorCli(args: { port: number; seed?: string; host?: string }): Promise<RunningEmulator> {
  const t0 = performance.now();
  const running = await startEmulator({
    port: args.port,
    host: args.host,
    seed: args.seed,
    // the seed "demo" is the demo's world (what `npm start` runs against)
    ...(args.seed === "demo" ? { world: { profile: "demo" as const } } : {}),
    log: (line) => process.stderr.write(`[meta-emulator] ${line}\n`),
  });
  process.stdout.write(JSON.stringify({ url: running.url, port: running.port }) + "\n");
  process.stderr.write(`[meta-emulator] listening on ${running.url} (seed ${running.emulator.seed}, started in ${Math.round(performance.now() - t0)} ms)\n`);
  const stop = (sig: string) => {
    process.stderr.write(`[meta-emulator] ${sig} received, shutting down\n`);
    running.close().then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  return running;
}
