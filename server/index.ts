/**
 * The Spendlane server process: boots the runtime (database, demo emulator and data, worker) and
 * serves the app built by server/app.ts. `--dev` serves the sources through Vite instead of the
 * production build.
 *
 * Startup hooks of each concern live in app/.server/runtime.ts and the request pipeline in
 * server/app.ts, so this file stays a thin shell.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { startRuntime } from "../app/.server/runtime";
import { logger } from "../app/.server/logger";
import { installLifecycle } from "../app/.server/ops/lifecycle";
import { endAllStreams } from "../app/.server/realtime/sse";
import { createApp, type AppOptions } from "./app";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

async function main() {
  // `npm run dev` on a fresh clone is the demo, like `npm start` (scripts/start.mjs); explicit, so
  // the runtime never has to guess (docs/decisions/0064).
  if (process.argv.includes("--dev") && process.env.SPENDLANE_DEMO === undefined && !process.env.DATABASE_URL && !process.env.META_APP_ID) {
    process.env.SPENDLANE_DEMO = "1";
  }
  const runtime = await startRuntime({ role: "web" });
  let build: ServerBuild | (() => Promise<ServerBuild>);
  // The warm path's per-process caches (ADR 0150); WARM_CACHE=0 turns them off (benchmarks compare both).
  const options: AppOptions = { warmCache: runtime.env.WARM_CACHE !== false };
  if (process.argv.includes("--dev")) {
    const vite = await import("vite").then((v) => v.createServer({ server: { middlewareMode: true }, appType: "custom" }));
    build = () => vite.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
    options.devMiddleware = vite.middlewares as unknown as AppOptions["devMiddleware"];
  } else {
    build = (await import(path.join(root, "build/server/index.js"))) as ServerBuild;
    options.clientDir = path.join(root, "build/client");
  }
  const app = createApp(build, runtime, options);

  const port = runtime.env.PORT;
  const server = app.listen(port, () => {
    const url = `http://localhost:${port}`;
    logger.info({ url, engine: runtime.engine }, "Spendlane is listening");
    process.stdout.write(`\n  Spendlane is running at ${url}\n`);
    for (const line of runtime.banner) process.stdout.write(`  ${line}\n`);
    process.stdout.write("\n");
  });

  // Graceful and bounded (SHUTDOWN_TIMEOUT_MS): stop accepting, end live streams with a reconnect
  // hint, let running sync jobs finish or hand them back to the queue, close the database.
  installLifecycle({
    timeoutMs: runtime.env.SHUTDOWN_TIMEOUT_MS,
    steps: [
      {
        // In-flight requests finish (up to half the bound; the rest is for the worker and database).
        name: "drain HTTP",
        async run(remainingMs) {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          endAllStreams();
          await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, remainingMs / 2).unref())]);
        },
      },
      { name: "runtime", run: (remainingMs) => runtime.stop(remainingMs) },
      { name: "connections", run: () => server.closeAllConnections() },
    ],
  });
}

main().catch((err) => {
  logger.fatal({ err }, "failed to start");
  process.stderr.write(`Spendlane failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
