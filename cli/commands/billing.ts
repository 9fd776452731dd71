import type { Command } from "commander";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { findAgencyBySlug } from "../../app/.server/tenancy";
import { agencyBillingStatus, setPlanByOperator } from "../../app/.server/billing/admin";
import { withDatabase } from "../context";
import { printJson } from "../output";

async function agencyId(tx: Parameters<Parameters<typeof asService>[0]>[0], slug: string) {
  const agency = await findAgencyBySlug(tx, slug);
  if (!agency) throw new InputError(`No agency with slug "${slug}"`, { agency: "not found" });
  return agency.id;
}

export function registerBillingCommands(program: Command) {
  const billing = program.command("billing").description("plans and limits");
  billing
    .command("status")
    .requiredOption("--agency <slug>", "agency slug")
    .description("plan, status, limits and usage of an agency")
    .action((o: { agency: string }) =>
      withDatabase(async () => printJson(await asService(async (tx) => agencyBillingStatus(tx, await agencyId(tx, o.agency))))),
    );
  billing
    .command("set-plan")
    .requiredOption("--agency <slug>", "agency slug")
    .requiredOption("--plan <id>", "trial, starter, growth or scale")
    .description("set the plan by hand (installations without Stripe; refused when Stripe manages the agency)")
    .action((o: { agency: string; plan: string }) =>
      withDatabase(async () => printJson(await asService(async (tx) => setPlanByOperator(tx, await agencyId(tx, o.agency), o.plan)))),
    );
}
