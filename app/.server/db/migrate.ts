/**
 * Applies supabase/migrations/*.sql in name order, each once, tracked in private.schema_migrations
 * with its checksum (an applied file that changed afterwards stops the run). All pending files run in
 * one transaction, each in its own savepoint: a failing file rolls the whole run back, so a database
 * is never left half-migrated. The transaction holds an advisory lock, so concurrent runners (two app
 * processes booting at once) wait for each other instead of racing. Safe to run any number of times.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import type { Sql } from "./connection";

export const MIGRATIONS_DIR = path.resolve(process.cwd(), "supabase/migrations");
const LOCK_KEY = 727274001;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

function migrationFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d+_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/** Migrations of this build not yet applied to the database (readiness: a process newer than its schema). */
export async function pendingMigrations(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const [table] = await sql<{ t: string | null }[]>`select to_regclass('private.schema_migrations')::text as t`;
  const done = new Set(table?.t ? (await sql<{ name: string }[]>`select name from private.schema_migrations`).map((r) => r.name) : []);
  return migrationFiles(dir).filter((f) => !done.has(f));
}

export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = migrationFiles(dir);
  const applied: string[] = [];
  const skipped: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(`
      create schema if not exists private;
      create table if not exists private.schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      );`);
    const done = new Map(
      (await tx<{ name: string; checksum: string }[]>`select name, checksum from private.schema_migrations`).map((r) => [
        r.name,
        r.checksum,
      ]),
    );
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      const checksum = createHash("sha256").update(text).digest("hex");
      if (done.has(file)) {
        if (done.get(file) !== checksum) {
          throw new Error(`Migration ${file} was changed after it was applied; add a new migration instead`);
        }
        skipped.push(file);
        continue;
      }
      try {
        await tx.savepoint(async (sp) => {
          await sp.unsafe(text);
          await sp`insert into private.schema_migrations (name, checksum) values (${file}, ${checksum})`;
        });
      } catch (err) {
        throw new Error(`Migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
  });
  return { applied, skipped };
}
