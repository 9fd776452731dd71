import type { Command } from "commander";
import { randomBytes } from "node:crypto";
import { asService } from "../../app/.server/db/connection";
import { InputError, fieldErrors } from "../../app/.server/errors";
import { emailSchema, passwordSchema, findUserByEmail, insertUser, insertAgencyWithOwner, findAgencyBySlug, insertWorkspace } from "../../app/.server/tenancy";
import { migrate } from "../../app/.server/db/migrate";
import { sql } from "../../app/.server/db/connection";
import { withDatabase } from "../context";
import { printJson } from "../output";

export function registerTenancyCommands(program: Command) {
  program
    .command("migrate")
    .description("apply pending database migrations")
    .action(() => withDatabase(async () => printJson(await migrate(sql())), { migrate: false }));

  const agency = program.command("agency").description("agencies");
  agency
    .command("create")
    .requiredOption("--name <name>", "agency name")
    .requiredOption("--owner-email <email>", "owner's email (created when new)")
    .option("--owner-password <password>", "password for a new owner (a random one is generated otherwise)")
    .option("--slug <slug>", "agency slug (derived from the name otherwise)")
    .action((o: { name: string; ownerEmail: string; ownerPassword?: string; slug?: string }) =>
      withDatabase(async () => {
        const email = emailSchema.safeParse(o.ownerEmail);
        if (!email.success) throw new InputError("Invalid owner email", { "owner-email": email.error.issues[0].message });
        if (o.ownerPassword !== undefined) {
          const pw = passwordSchema.safeParse(o.ownerPassword);
          if (!pw.success) throw new InputError("Weak owner password", fieldErrors(pw.error.issues.map((i) => ({ ...i, path: ["owner-password"] }))));
        }
        const result = await asService(async (tx) => {
          const existing = await findUserByEmail(tx, email.data);
          const owner = existing ?? (await insertUser(tx, { email: email.data, password: o.ownerPassword ?? randomBytes(18).toString("base64url") }));
          const created = await insertAgencyWithOwner(tx, { name: o.name, slug: o.slug }, owner.id);
          return { agencyId: created.id, slug: created.slug, ownerUserId: owner.id };
        });
        printJson(result);
      }),
    );

  const workspace = program.command("workspace").description("client workspaces");
  workspace
    .command("create")
    .requiredOption("--agency <slug>", "agency slug")
    .requiredOption("--name <name>", "client name")
    .option("--slug <slug>", "workspace slug")
    .action((o: { agency: string; name: string; slug?: string }) =>
      withDatabase(async () => {
        const result = await asService(async (tx) => {
          const agency = await findAgencyBySlug(tx, o.agency);
          if (!agency) throw new InputError(`No agency with slug "${o.agency}"`, { agency: "not found" });
          const ws = await insertWorkspace(tx, agency.id, { name: o.name, slug: o.slug });
          return { workspaceId: ws.id, slug: ws.slug };
        });
        printJson(result);
      }),
    );
}
