/** Boots the database for one CLI command and closes it afterwards. */
import { parseEnv } from "../app/.server/env";
import { bootDatabase } from "../app/.server/db/boot";
import { fail } from "./output";

export async function withDatabase<T>(fn: () => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const env = parseEnv();
  const db = await bootDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, runMigrations: opts.migrate ?? true });
  try {
    return await fn();
  } catch (err) {
    await db.close().catch(() => {});
    fail(err);
  } finally {
    await db.close().catch(() => {});
  }
}
