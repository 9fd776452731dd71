import { inject, afterAll } from "vitest";
import { configureDatabase, closeDatabase } from "../../app/.server/db/connection";

process.env.DATABASE_URL = inject("databaseUrl");
configureDatabase(inject("databaseUrl"), { max: 4 });
afterAll(async () => {
  await closeDatabase();
});
