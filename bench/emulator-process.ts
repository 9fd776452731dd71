/**
 * The Meta emulator in a process of its own, for benchmarks whose CPU figures must not include it:
 * `node --import tsx bench/emulator-process.ts '<EmulatorOptions as JSON>' [systemUserToken]` prints
 * {"url": …} on stdout and runs until SIGTERM. With a token, that token is valid (a system user of the
 * first user, never expiring), so several emulator processes with the same seed and world act as one
 * Meta for a benchmark that spreads its workers over them. bench/lib.ts startEmulatorProcess() starts it.
 */
import { startEmulator } from "../emulator/meta-graph/index";

const em = await startEmulator(JSON.parse(process.argv[2] ?? "{}"));
const token = process.argv[3];
if (token) {
  const user = em.emulator.world.users[0]!;
  const rec = em.emulator.issueToken(user.systemUserId, "SYSTEM_USER", null);
  em.emulator.tokens.delete(rec.token);
  em.emulator.tokens.set(token, { ...rec, token });
}
process.stdout.write(JSON.stringify({ url: em.url }) + "\n");
process.on("SIGTERM", () => void em.close().then(() => process.exit(0)));
