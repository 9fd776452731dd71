/**
 * `spendlane meta connect|attach` and `spendlane vault rotate`: connecting a workspace to Meta with a
 * token from the command line, attaching ad accounts, and rotating the vault key.
 * `--token -` reads the token from stdin, which keeps it out of shell history and `ps`.
 */
import type { Command } from "commander";
import { asService } from "../../app/.server/db/connection";
import { InputError } from "../../app/.server/errors";
import { attachAndBackfill } from "../../app/.server/connections/attach-and-sync";
import { connectWithToken } from "../../app/.server/connections/connect";
import { rotateVaultKeys } from "../../app/.server/meta/vault";
import { withDatabase } from "../context";
import { printJson } from "../output";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `W` is a workspace id or `agencySlug/workspaceSlug`. */
async function resolveWorkspace(w: string): Promise<string> {
  const rows = await asService((tx) => {
    if (UUID_RE.test(w)) return tx<{ id: string }[]>`select id from public.workspaces where id = ${w}`;
    const [agency, slug] = w.split("/");
    if (!agency || !slug || w.split("/").length !== 2) return Promise.resolve([] as { id: string }[]);
    return tx<{ id: string }[]>`select w.id from public.workspaces w join public.agencies a on a.id = w.agency_id
      where a.slug = ${agency.toLowerCase()} and w.slug = ${slug.toLowerCase()}`;
  });
  if (!rows[0]) throw new InputError(`No workspace "${w}" (use its id or agencySlug/workspaceSlug)`, { workspace: "not found" });
  return rows[0].id;
}

async function readToken(t: string): Promise<string> {
  if (t !== "-") return t;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}

/** The workspace's connection to attach through: the given one, or its only active one. */
async function pickConnection(workspaceId: string, connectionId?: string): Promise<string> {
  if (connectionId && !UUID_RE.test(connectionId)) throw new InputError("--connection must be a connection id", { connection: "invalid" });
  const rows = await asService(
    (tx) => tx<{ id: string }[]>`
    select id from public.meta_connections where workspace_id = ${workspaceId} and status = 'active'
    ${connectionId ? tx`and id = ${connectionId}` : tx``} order by created_at desc`,
  );
  if (rows.length === 0) throw new InputError("This workspace has no active Meta connection; run `spendlane meta connect` first", { connection: "none" });
  if (rows.length > 1 && !connectionId)
    throw new InputError("This workspace has several Meta connections; pass --connection <id>", { connection: "ambiguous" });
  return rows[0].id;
}

export function registerMetaCommands(program: Command) {
  const meta = program.command("meta").description("Meta connections");
  meta
    .command("connect")
    .description("validate a Meta token, store it encrypted and list the ad accounts it can read")
    .requiredOption("--workspace <workspace>", "workspace id or agencySlug/workspaceSlug")
    .requiredOption("--token <token>", 'access token (system-user or user), or "-" to read it from stdin')
    .action((o: { workspace: string; token: string }) =>
      withDatabase(async () => {
        const workspaceId = await resolveWorkspace(o.workspace);
        const r = await connectWithToken({ workspaceId, actorUserId: null, token: await readToken(o.token), expect: "ANY" });
        printJson({
          connectionId: r.connectionId,
          adAccounts: r.adAccounts.map((a) => ({ id: a.id, name: a.name, currency: a.currency, timezone: a.timezone })),
        });
      }),
    );
  meta
    .command("attach")
    .description("attach an ad account to a workspace and queue its backfill")
    .requiredOption("--workspace <workspace>", "workspace id or agencySlug/workspaceSlug")
    .requiredOption("--account <act_N>", "Meta ad account id")
    .option("--connection <id>", "connection to use when the workspace has several")
    .action((o: { workspace: string; account: string; connection?: string }) =>
      withDatabase(async () => {
        const workspaceId = await resolveWorkspace(o.workspace);
        const connectionId = await pickConnection(workspaceId, o.connection);
        const attached = await attachAndBackfill({ workspaceId, connectionId, metaAccountId: o.account, actorUserId: null });
        // The backfill went onto the job queue; close the queue's connections so the command exits.
        const { stopWorker } = await import("../../app/.server/sync/scheduler");
        await stopWorker();
        printJson(attached);
      }),
    );

  const vault = program.command("vault").description("token vault");
  vault
    .command("rotate")
    .description("re-encrypt every stored secret under the current VAULT_KEY / VAULT_KEY_ID")
    .action(() => withDatabase(async () => printJson(await asService((tx) => rotateVaultKeys(tx)))));
}
