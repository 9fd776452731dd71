import { describe, expect, it } from "vitest";
import { sql } from "../../app/.server/db/connection";
import { migrate } from "../../app/.server/db/migrate";

describe("migrations", () => {
  it("are tracked and safe to run twice", async () => {
    const again = await migrate(sql());
    expect(again.applied).toEqual([]);
    expect(again.skipped.length).toBeGreaterThanOrEqual(3);
    const rows = await sql()`select name from private.schema_migrations order by name`;
    expect(rows.map((r) => r.name)).toEqual(again.skipped);
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
