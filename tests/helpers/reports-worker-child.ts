/**
 * Child process for the exactly-once test: one report worker running the `report-run` job of a
 * (schedule, period), as a pg-boss worker would, against the test database and SMTP_URL.
 * Usage: node --import tsx tests/helpers/reports-worker-child.ts <scheduleId> <since> <until>
 */
import { configureDatabase } from "../../app/.server/db/connection";
import { handleReportRun } from "../../app/.server/reports/jobs";

const [scheduleId, since, until] = process.argv.slice(2);
configureDatabase(process.env.DATABASE_URL!, { max: 2 });
const outcomes = await handleReportRun({ scheduleId: scheduleId!, period: { since: since!, until: until! }, plan: true });
process.stdout.write(`done ${JSON.stringify(outcomes)}\n`);
process.exit(0);
