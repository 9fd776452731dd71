/**
 * The Spendlane server process: boots the database (embedded PGlite or DATABASE_URL), the demo
 * (built-in Meta emulator + demo agency) when no Meta app is configured, the in-process worker, and
 * serves the Remix build with Express.
 *
 * Startup hooks of each concern live in app/.server/runtime.ts so this file stays a thin shell.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import compression from "compression";
import { createRequestHandler } from "@remix-run/express";
import { startRuntime } from "../app/.server/runtime";
import { logger } from "../app/.server/logger";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

async function main() {
  const runtime = await startRuntime({ role: "web" });
  const app = express();
  app.disable("x-powered-by");
  app.use(compression());
  app.use("/assets", express.static(path.join(root, "build/client/assets"), { immutable: true, maxAge: "1y" }));
  app.use(express.static(path.join(root, "build/client"), { maxAge: "1h" }));
  const build = await import(path.join(root, "build/server/index.js"));
  for (const mount of runtime.expressMounts) mount(app);
  app.all("*", createRequestHandler({ build, mode: process.env.NODE_ENV ?? "production" }));

  const port = runtime.env.PORT;
  const server = app.listen(port, () => {
    const url = `http://localhost:${port}`;
    logger.info({ url, engine: runtime.engine }, "Spendlane is listening");
    process.stdout.write(`\n  Spendlane is running at ${url}\n`);
    for (const line of runtime.banner) process.stdout.write(`  ${line}\n`);
    process.stdout.write("\n");
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    server.close();
    await runtime.stop().catch((err) => logger.error({ err }, "shutdown error"));
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  logger.fatal({ err }, "failed to start");
  process.stderr.write(`Spendlane failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
