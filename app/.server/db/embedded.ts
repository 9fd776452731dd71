/**
 * The embedded engine: PGlite (Postgres in WebAssembly) with its data folder on disk, served on
 * loopback through pglite-socket so the same `postgres` client and the same SQL run everywhere.
 *
 * Only one process can open a PGlite data folder. The process that owns it writes the socket's
 * address to `<dataDir>/socket.json`; other processes (CLI commands while `npm start` runs) read it
 * and connect through the socket instead of opening the folder themselves.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedDatabase {
  url: string;
  /** True when this process opened the folder (and must close it); false when it joined a running server. */
  owner: boolean;
  stop(): Promise<void>;
}

interface SocketFile {
  url: string;
  pid: number;
}

function socketFile(dataDir: string) {
  return path.join(dataDir, "socket.json");
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The address of a PGlite socket already served by another live process, if any. */
export function findRunningEmbedded(dataDir: string): string | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(socketFile(dataDir), "utf8")) as SocketFile;
    if (info.pid !== process.pid && processAlive(info.pid)) return info.url;
  } catch {
    // no file or unreadable: nobody is serving this folder
  }
  return undefined;
}

/**
 * Joins the embedded server of another process when one runs; otherwise opens the folder and serves
 * it. `dataDir` "memory://" keeps everything in memory (tests).
 */
export async function startEmbedded(opts: { dataDir: string; port?: number; maxConnections?: number }): Promise<EmbeddedDatabase> {
  const inMemory = opts.dataDir.startsWith("memory://");
  if (!inMemory) {
    const running = findRunningEmbedded(opts.dataDir);
    if (running) return { url: running, owner: false, stop: async () => {} };
    fs.mkdirSync(opts.dataDir, { recursive: true });
  }
  const db = await PGlite.create(inMemory ? undefined : path.join(opts.dataDir, "pglite"));
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections ?? 16,
  });
  await server.start();
  const address = server.getServerConn();
  const port = Number(String(address).split(":").pop());
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  if (!inMemory) {
    fs.writeFileSync(socketFile(opts.dataDir), JSON.stringify({ url, pid: process.pid } satisfies SocketFile));
  }
  let stopped = false;
  return {
    url,
    owner: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!inMemory) fs.rmSync(socketFile(opts.dataDir), { force: true });
      await server.stop();
      await db.close();
    },
  };
}
