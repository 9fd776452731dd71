import type { TestProject } from "vitest/node";
import postgres from "postgres";
import { startEmbedded, type EmbeddedDatabase } from "../../app/.server/db/embedded";
import { migrate } from "../../app/.server/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseEngine: "postgres" | "pglite";
  }
}

/**
 * One fresh, migrated database per test run: a new database on TEST_DATABASE_URL's server, or an
 * in-memory PGlite served over a socket. Test files share it and isolate themselves with their own
 * tenants (unique slugs and emails).
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  let url: string;
  let dropDb: (() => Promise<void>) | undefined;
  if (base) {
    const name = `spendlane_test_${process.pid}_${Date.now()}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  } else {
    embedded = await startEmbedded({ dataDir: "memory://", maxConnections: 16 });
    url = embedded.url;
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql.end();
  project.provide("databaseUrl", url);
  project.provide("databaseEngine", base ? "postgres" : "pglite");
  return async () => {
    await dropDb?.();
    await embedded?.stop();
  };
}
