/**
 * Applies supabase/migrations/*.sql in name order, each once, each in its own savepoint, and records
 * them in the Supabase CLI's own ledger, supabase_migrations.schema_migrations (version, name,
 * statements). One history for both tools: a version `supabase db push` / `db reset` applied is
 * skipped here, and a version applied here is skipped by the CLI (ADR 0110).
 *
 * Like the CLI, a recorded version counts as applied whatever its text: the CLI keeps no checksum
 * and splits files into statements with its own parser, so a changed file cannot be detected
 * reliably from its ledger. Changing an applied migration is a review error; add a new one instead.
 *
 * Databases migrated before this ledger kept private.schema_migrations (name, checksum); its rows
 * are carried over once and the old table dropped, so there is never a second history.
 *
 * All pending files run in one transaction, each in its own savepoint: a failing file rolls the whole
 * run back, so a database is never left half-migrated. The transaction holds an advisory lock, so
 * concurrent runners (two app processes booting at once) wait for each other instead of racing. Safe
 * to run any number of times.
 */
import fs from "node:fs";
import path from "node:path";
import type { Sql } from "./connection";

export const MIGRATIONS_DIR = path.resolve(process.cwd(), "supabase/migrations");
const LOCK_KEY = 727274001;
/** The CLI's file pattern is `^([0-9]+)_(.*)\.sql$`; ours is stricter (lower-case names). */
const FILE_RE = /^(\d+)_([a-z0-9_]+)\.sql$/;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

export interface MigrationFile {
  file: string;
  version: string;
  name: string;
}

export function migrationFiles(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .map((file) => {
      const m = FILE_RE.exec(file);
      return m ? { file, version: m[1]!, name: m[2]! } : null;
    })
    .filter((f): f is MigrationFile => f !== null)
    .sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * The ledger exactly as the Supabase CLI creates it (pkg/migration/history.go, CLI v2): the schema,
 * a table keyed by `version`, then `statements` and `name` added if missing. Running the CLI's
 * statements afterwards is a no-op, and so is running these after the CLI's.
 */
export const LEDGER_DDL = `
  create schema if not exists supabase_migrations;
  create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
  alter table supabase_migrations.schema_migrations add column if not exists statements text[];
  alter table supabase_migrations.schema_migrations add column if not exists name text;`;

async function appliedVersions(sql: Sql | import("postgres").TransactionSql): Promise<Set<string> | null> {
  const [t] = await sql<{ ledger: string | null; legacy: string | null }[]>`
    select to_regclass('supabase_migrations.schema_migrations')::text as ledger,
           to_regclass('private.schema_migrations')::text as legacy`;
  const versions = new Set<string>();
  if (t?.ledger) for (const r of await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`) versions.add(r.version);
  if (t?.legacy) {
    for (const r of await sql<{ name: string }[]>`select name from private.schema_migrations`) {
      const m = FILE_RE.exec(r.name);
      if (m) versions.add(m[1]!);
    }
  }
  return t?.ledger || t?.legacy ? versions : null;
}

/** Migrations of this build not yet applied to the database (readiness: a process newer than its schema). */
export async function pendingMigrations(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const done = (await appliedVersions(sql)) ?? new Set<string>();
  return migrationFiles(dir)
    .filter((f) => !done.has(f.version))
    .map((f) => f.file);
}

export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = migrationFiles(dir);
  const applied: string[] = [];
  const skipped: string[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx.unsafe(LEDGER_DDL);
    // Only the database owner (postgres on Supabase) reads or writes the ledger.
    await tx.unsafe(`revoke all on schema supabase_migrations from public`);
    const legacy = await tx<{ t: string | null }[]>`select to_regclass('private.schema_migrations')::text as t`;
    if (legacy[0]?.t) {
      const rows = await tx<{ name: string }[]>`select name from private.schema_migrations order by name`;
      for (const r of rows) {
        const m = FILE_RE.exec(r.name);
        if (!m) continue;
        await tx`insert into supabase_migrations.schema_migrations (version, name)
                 values (${m[1]!}, ${m[2]!}) on conflict (version) do nothing`;
      }
      await tx.unsafe(`drop table private.schema_migrations`);
    }
    const done = new Set((await tx<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((r) => r.version));
    for (const f of files) {
      if (done.has(f.version)) {
        skipped.push(f.file);
        continue;
      }
      const text = fs.readFileSync(path.join(dir, f.file), "utf8");
      try {
        await tx.savepoint(async (sp) => {
          await sp.unsafe(text);
          // statements: the CLI stores the file split into statements; the whole file is one here
          // (informational only: neither tool replays it).
          await sp`insert into supabase_migrations.schema_migrations (version, name, statements)
                   values (${f.version}, ${f.name}, ${[text]})`;
        });
      } catch (err) {
        throw new Error(`Migration ${f.file} failed: ${(err as Error).message}`);
      }
      applied.push(f.file);
    }
  });
  return { applied, skipped };
}
