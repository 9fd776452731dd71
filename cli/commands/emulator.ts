import type { Command } from "commander";
import { InputError } from "../../app/.server/errors";
import { runEmulatorCli } from "../../emulator/meta-graph/cli";

/** `spendlane emulator`: the local Meta Graph API emulator as its own process (dev, demos, tests). */
export function registerEmulatorCommands(program: Command) {
  program
    .command("emulator")
    .description("run the local Meta Graph API emulator; prints {url, port} and runs until stopped")
    .option("--port <port>", "port (0 = any free port)", "4010")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--seed <seed>", "data seed: the same seed gives the same numbers")
    .action(async (o: { port: string; host: string; seed?: string }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError("Invalid port", { port: "use a number from 0 to 65535" });
      await runEmulatorCli({ port, host: o.host, seed: o.seed });
    });
}
