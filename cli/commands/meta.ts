/**
 * `spendlane meta connect|attach` and `spendlane vault rotate`: connecting a workspace to Meta with a
 * system-user token from the command line, attaching ad accounts, and rotating the vault key.
 * Tokens are read from the argument or (better, kept out of shell history) from stdin with `--token -`.
 */
import type { Command } from "commander";
import { asService } from "../../app/.server/db/connection";
import { rotateVaultKeys } from "../../app/.server/meta/vault";
import { withDatabase } from "../context";
import { printJson } from "../output";

export function registerMetaCommands(program: Command) {
  const vault = program.command("vault").description("token vault");
  vault
    .command("rotate")
    .description("re-encrypt every stored secret under the current VAULT_KEY / VAULT_KEY_ID")
    .action(() => withDatabase(async () => printJson(await asService((tx) => rotateVaultKeys(tx)))));
}
