/**
 * `spendlane`: admin, sync, report, emulator and worker commands. JSON on stdout, logs on stderr.
 * Each concern registers its commands from cli/commands/<concern>.ts.
 */
import { Command } from "commander";
import { registerTenancyCommands } from "./commands/tenancy";
import { registerMetaCommands } from "./commands/meta";
import { registerReportCommands } from "./commands/report";
import { registerReportsCommands } from "./commands/reports";
import { registerBillingCommands } from "./commands/billing";
import { registerSyncCommands } from "./commands/sync";
import { registerEmulatorCommands } from "./commands/emulator";
import { registerAlertCommands } from "./commands/alerts";
import { fail } from "./output";

const program = new Command("spendlane").description("Spendlane command line").showHelpAfterError();
registerTenancyCommands(program);
registerReportCommands(program);
registerReportsCommands(program);
registerMetaCommands(program);
registerBillingCommands(program);
registerSyncCommands(program);
registerEmulatorCommands(program);
registerAlertCommands(program);

program.parseAsync(process.argv).catch(fail);
