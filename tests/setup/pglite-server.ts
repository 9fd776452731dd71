/**
 * Serves the test run's in-memory PGlite from a process of its own (started by global-db.ts).
 *
 * PGlite runs queries on the thread that owns it. Served from vitest's main process, a busy database
 * would hold up that process's answers to its workers, and a worker gives up on an answer after 60 s
 * ("Timeout calling onTaskUpdate", an error no test caused). In its own process it cannot.
 *
 * Prints one JSON line, {"url": ...}, once the socket listens; stops when its stdin closes (the
 * parent ended, however it ended) or on SIGTERM.
 */
import { startEmbedded } from "../../app/.server/db/embedded";

const db = await startEmbedded({ dataDir: "memory://", maxConnections: 16 });
process.stdout.write(`${JSON.stringify({ url: db.url })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await db.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
