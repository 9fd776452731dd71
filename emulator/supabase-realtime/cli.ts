/**
 * Runs the Realtime stand-in as its own process for local development:
 *
 *   npx tsx emulator/supabase-realtime/cli.ts --database-url postgres://…/spendlane_supabase_dev \
 *     --jwt-secret "$SUPABASE_JWT_SECRET" [--port 54321]
 *
 * Prints {"url": …} and serves until SIGINT/SIGTERM. Point the app's SUPABASE_URL at that url.
 */
import { parseArgs } from "node:util";
import { startRealtimeStandIn } from "./server";

const { values } = parseArgs({
  options: {
    "database-url": { type: "string" },
    "jwt-secret": { type: "string" },
    "publishable-key": { type: "string" },
    port: { type: "string", default: "54321" },
  },
});
const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
const jwtSecret = values["jwt-secret"] ?? process.env.SUPABASE_JWT_SECRET;
if (!databaseUrl || !jwtSecret) {
  process.stderr.write("usage: tsx emulator/supabase-realtime/cli.ts --database-url URL --jwt-secret SECRET [--port N]\n");
  process.exit(2);
}
const standIn = await startRealtimeStandIn({ databaseUrl, jwtSecret, publishableKey: values["publishable-key"], port: Number(values.port) });
process.stdout.write(`${JSON.stringify({ url: standIn.url })}\n`);
const stop = () => void standIn.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
