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
  keepExtendedQueriesTogether(server);
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

/**
 * pglite-socket 0.2.17 queues protocol messages from all connections and keeps a connection's
 * messages together only while a transaction is open. Outside one, the Parse/Bind/Execute/Sync
 * messages of two connections' extended-protocol queries interleave and clobber each other's unnamed
 * statement and portal ("portal \"\" does not exist"): any concurrent bare query (postgres' type
 * fetch on connect, pg-boss polling next to a sync) can fail. This keeps a connection's messages
 * together from its first extended-protocol message until its Sync, as Postgres itself would.
 * ADR 0017 records it; drop this once pglite-socket does the same upstream.
 */
function keepExtendedQueriesTogether(server: PGLiteSocketServer) {
  interface Item {
    handlerId: number;
    message: Uint8Array;
    resolve(n: number): void;
    reject(e: unknown): void;
    onData(d: Uint8Array): void;
  }
  interface Queue {
    queue: Item[];
    processing: boolean;
    lastHandlerId: number | null;
    db: PGlite;
    processQueue(): Promise<void>;
    clearQueueForHandler(id: number): void;
  }
  const q = (server as unknown as { queryQueue?: Queue }).queryQueue;
  if (!q || typeof q.processQueue !== "function") throw new Error("pglite-socket internals changed: review keepExtendedQueriesTogether (ADR 0017)");
  // Parse, Bind, Describe, Execute, Close, Flush open a batch that only Sync ends; Query is whole.
  const OPENS = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);
  const SYNC = 0x53;
  const QUERY = 0x51;
  let open: number | null = null;
  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (id: number) => {
    if (open === id) open = null;
    clear(id);
  };
  q.processQueue = async function processQueue(this: Queue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const sticky = this.lastHandlerId !== null && (this.db.isInTransaction() || open === this.lastHandlerId) ? this.lastHandlerId : null;
        let item: Item | undefined;
        if (sticky !== null) {
          const i = this.queue.findIndex((r) => r.handlerId === sticky);
          item = i === -1 ? undefined : this.queue.splice(i, 1)[0];
        } else item = this.queue.shift();
        // The sticky connection has nothing queued yet: wait for it (its next message re-runs the queue).
        if (!item) break;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item!.message, {
              onRawData: (d: Uint8Array) => {
                bytes += d.length;
                item!.onData(d);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        }
        const type = item.message[0];
        if (type === SYNC || type === QUERY) open = null;
        else if (type !== undefined && OPENS.has(type)) open = item.handlerId;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
}
