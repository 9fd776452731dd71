/**
 * The migration runner shares one history with the Supabase CLI (supabase_migrations.schema_migrations,
 * ADR 0110). The cases that need an empty database get a fresh one on the run's engine (a new
 * database on TEST_DATABASE_URL's server, or a new in-memory PGlite).
 */
import fs from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { startEmbedded } from "../../app/.server/db/embedded";
import { MIGRATIONS_DIR, migrate, migrationFiles, pendingMigrations } from "../../app/.server/db/migrate";
import { installRealtimePolicies } from "../../app/.server/realtime/supabase";

const engine = inject("databaseEngine");

async function freshDatabase(): Promise<{ db: postgres.Sql; close(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (engine === "postgres" && base) {
    const name = `spendlane_mig_${process.pid}_${Date.now()}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const u = new URL(base);
    u.pathname = `/${name}`;
    const db = postgres(u.toString(), { max: 1, onnotice: () => {} });
    return {
      db,
      async close() {
        await db.end();
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }
  const embedded = await startEmbedded({ dataDir: "memory://", maxConnections: 2 });
  const db = postgres(embedded.url, { max: 1, onnotice: () => {} });
  return {
    db,
    async close() {
      await db.end();
      await embedded.stop();
    },
  };
}

/**
 * What `supabase db push` / `db reset` does to the ledger (supabase/cli pkg/migration/history.go and
 * apply.go, CLI v2): its own DDL batch, then per file one transaction that runs the file and inserts
 * (version, name, statements). The statements are stored as the CLI's parser split them; one element
 * per file here, which neither tool reads back.
 */
async function applyLikeSupabaseCli(db: postgres.Sql): Promise<string[]> {
  await db.unsafe(`
    SET lock_timeout = '4s';
    CREATE SCHEMA IF NOT EXISTS supabase_migrations;
    CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY);
    ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
    ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;`);
  const remote = new Set((await db<{ version: string }[]>`SELECT version FROM supabase_migrations.schema_migrations ORDER BY version`).map((r) => r.version));
  const applied: string[] = [];
  for (const f of migrationFiles()) {
    if (remote.has(f.version)) continue;
    const text = fs.readFileSync(path.join(MIGRATIONS_DIR, f.file), "utf8");
    await db.begin(async (tx) => {
      await tx.unsafe(text);
      await tx`INSERT INTO supabase_migrations.schema_migrations(version, name, statements) VALUES(${f.version}, ${f.name}, ${[text]})`;
    });
    applied.push(f.file);
  }
  return applied;
}

describe("migrations", () => {
  it("are tracked in the Supabase CLI's ledger and safe to run twice", async () => {
    const again = await migrate(sql());
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThanOrEqual(3);
    const rows = await sql()<{ version: string; name: string }[]>`
      select version, name from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => `${r.version}_${r.name}.sql`)).toEqual(again.skipped);
    expect(await pendingMigrations(sql())).toEqual([]);
    const [legacy] = await sql()`select to_regclass('private.schema_migrations') as t`;
    expect(legacy!.t).toBeNull();
  });

  it("applying with the Supabase CLI's table first then booting the app runs nothing twice", async () => {
    const { db, close } = await freshDatabase();
    try {
      const byCli = await applyLikeSupabaseCli(db);
      expect(byCli).toEqual(migrationFiles().map((f) => f.file));
      const byApp = await migrate(db);
      expect(byApp.applied).toEqual([]);
      expect(byApp.skipped).toEqual(byCli);
      // plain database: the Supabase-only part stays inert
      expect(await installRealtimePolicies(db)).toBe(false);
      const [{ n }] = await db<{ n: number }[]>`select count(*)::int as n from supabase_migrations.schema_migrations`;
      expect(n).toBe(byCli.length);
    } finally {
      await close();
    }
  });

  it("applying with the app first leaves nothing for the Supabase CLI, and adopts the old ledger", async () => {
    const { db, close } = await freshDatabase();
    try {
      // A database migrated by the previous runner: private.schema_migrations (name, checksum), all
      // but the newest file applied.
      const files = migrationFiles();
      await db.unsafe(`create schema if not exists private;
        create table private.schema_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now());`);
      for (const f of files.slice(0, -1)) {
        await db.begin(async (tx) => {
          await tx.unsafe(fs.readFileSync(path.join(MIGRATIONS_DIR, f.file), "utf8"));
          await tx`insert into private.schema_migrations (name, checksum) values (${f.file}, 'x')`;
        });
      }
      expect(await pendingMigrations(db)).toEqual([files.at(-1)!.file]);
      const byApp = await migrate(db);
      expect(byApp.applied).toEqual([files.at(-1)!.file]);
      const [legacy] = await db`select to_regclass('private.schema_migrations') as t`;
      expect(legacy!.t).toBeNull();
      const rows = await db<{ version: string; name: string }[]>`select version, name from supabase_migrations.schema_migrations order by version`;
      expect(rows.map((r) => `${r.version}_${r.name}.sql`)).toEqual(files.map((f) => f.file));
      expect(await applyLikeSupabaseCli(db)).toEqual([]);
    } finally {
      await close();
    }
  });

  it("turn row-level security on for every table in every exposed schema", async () => {
    const rows = await sql()<{ table_name: string }[]>`
      select c.relname as table_name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity`;
    expect(rows).toEqual([]);
    const [{ count }] = await sql()`select count(*)::int as count from pg_tables where schemaname = 'public'`;
    expect(count).toBeGreaterThan(5);
  });
});
