import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import postgres from "postgres";
import { migrate } from "../../app/.server/db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseEngine: "postgres" | "pglite";
  }
}

/**
 * One fresh, migrated database per test run: a new database on TEST_DATABASE_URL's server, or an
 * in-memory PGlite served over a socket by a process of its own (pglite-server.ts says why). Test
 * files share it and isolate themselves with their own tenants (unique slugs and emails).
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  let embedded: ChildProcess | undefined;
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
    embedded = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./pglite-server.ts", import.meta.url))], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    url = await readServedUrl(embedded);
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql.end();
  project.provide("databaseUrl", url);
  project.provide("databaseEngine", base ? "postgres" : "pglite");
  return async () => {
    await dropDb?.();
    if (embedded && embedded.exitCode === null) {
      const exited = once(embedded, "exit");
      embedded.kill("SIGTERM");
      await exited;
    }
  };
}

/** The URL the PGlite process prints once it listens; fails with its exit status if it ends first. */
async function readServedUrl(child: ChildProcess): Promise<string> {
  const lines = readline.createInterface({ input: child.stdout! });
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(`the test PGlite server ended before it listened (exit ${code ?? signal})`);
  });
  const first = (async () => {
    for await (const line of lines) return (JSON.parse(line) as { url: string }).url;
    throw new Error("the test PGlite server closed its output before it listened");
  })();
  return Promise.race([first, exited]);
}
