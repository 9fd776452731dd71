#!/usr/bin/env node
// Creates a PostgreSQL database shaped like a Supabase project for what Spendlane touches (roles,
// auth/realtime/vault/extensions schemas: tests/fixtures/supabase/shape.sql), for CI and local runs.
//
//   node scripts/supabase-shaped-db.mjs spendlane_supabase_dev [postgres://postgres@127.0.0.1:5432/postgres]
//
// Prints the new database's URL. The name must start with spendlane_supabase_ (it is dropped and
// recreated, so an unrelated database can never be hit). Migrations are not applied here: the app
// (or `npm run cli -- migrate`) applies them, as on Supabase.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

export const SHAPE_SQL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../tests/fixtures/supabase/shape.sql");
export const DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres";
const NAME_RE = /^spendlane_supabase_[a-z0-9_]{1,40}$/;

/** Drops (if present) and creates `name` on `serverUrl`'s server, shapes it, returns its URL. */
export async function createSupabaseShapedDatabase(name, serverUrl = DEFAULT_SERVER) {
  if (!NAME_RE.test(name)) throw new Error(`database name must match ${NAME_RE}`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(fs.readFileSync(SHAPE_SQL, "utf8"));
  } finally {
    await db.end();
  }
  return url;
}

export async function dropSupabaseShapedDatabase(name, serverUrl = DEFAULT_SERVER) {
  if (!NAME_RE.test(name)) throw new Error(`database name must match ${NAME_RE}`);
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name, server] = process.argv.slice(2);
  if (!name) {
    process.stderr.write("usage: node scripts/supabase-shaped-db.mjs spendlane_supabase_<name> [server-url]\n");
    process.exit(2);
  }
  createSupabaseShapedDatabase(name, server ?? DEFAULT_SERVER).then(
    (url) => process.stdout.write(`${url}\n`),
    (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
