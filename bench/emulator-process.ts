/**
 * The Meta emulator in a process of its own, for benchmarks whose CPU figures must not include it:
 * `node --import tsx bench/emulator-process.ts '<EmulatorOptions as JSON>'` prints {"url": …} on stdout
 * and runs until SIGTERM. bench/lib.ts startEmulatorProcess() starts it.
 */
import { startEmulator } from "../emulator/meta-graph/index";

const em = await startEmulator(JSON.parse(process.argv[2] ?? "{}"));
process.stdout.write(JSON.stringify({ url: em.url }) + "\n");
process.on("SIGTERM", () => void em.close().then(() => process.exit(0)));
