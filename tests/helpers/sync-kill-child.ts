/**
 * Child process for the SIGKILL test: runs one backfill against the test database and the emulator,
 * printing "chunk" after every committed chunk and pausing there so the parent can kill it mid-run.
 * Usage: node --import tsx tests/helpers/sync-kill-child.ts <emulatorUrl> <adAccountId>
 */
import { configureDatabase } from "../../app/.server/db/connection";
import { runSync } from "../../app/.server/sync/runner";
import { testDeps } from "./sync-helpers";

const [url, adAccountId] = process.argv.slice(2);
configureDatabase(process.env.DATABASE_URL!, { max: 2 });
await runSync(
  testDeps(
    { url: url! },
    {
      leaseMs: 1500,
      onChunk: async ({ runId, remaining }) => {
        process.stdout.write(`chunk ${runId} ${remaining}\n`);
        await new Promise((r) => setTimeout(r, 400));
      },
    },
  ),
  { adAccountId: adAccountId!, kind: "backfill" },
);
process.stdout.write("done\n");
process.exit(0);
