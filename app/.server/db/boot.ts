/**
 * Connects a process to its database: DATABASE_URL when set (PostgreSQL or Supabase), otherwise the
 * embedded PGlite folder (joining the running server's socket when there is one), then migrates.
 */
import path from "node:path";
import { configureDatabase, closeDatabase } from "./connection";
import { startEmbedded, type EmbeddedDatabase } from "./embedded";
import { migrate } from "./migrate";
import { installRealtimePolicies } from "../realtime/supabase";

export interface BootedDatabase {
  url: string;
  engine: "postgres" | "pglite";
  embedded?: EmbeddedDatabase;
  close(): Promise<void>;
}

export async function bootDatabase(opts: { databaseUrl?: string; dataDir: string; runMigrations?: boolean; maxConnections?: number }): Promise<BootedDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let url = opts.databaseUrl;
  if (!url) {
    const dataDir = opts.dataDir.startsWith("memory://") ? opts.dataDir : path.resolve(opts.dataDir);
    embedded = await startEmbedded({ dataDir });
    url = embedded.url;
  }
  // PGlite serialises transactions across socket connections; a small pool is enough there.
  const sql = configureDatabase(url, { max: opts.maxConnections ?? (embedded ? 4 : 10) });
  if (opts.runMigrations !== false) {
    await migrate(sql);
    await installRealtimePolicies(sql);
  }
  return {
    url,
    engine: embedded ? "pglite" : "postgres",
    embedded,
    async close() {
      await closeDatabase();
      await embedded?.stop();
    },
  };
}
