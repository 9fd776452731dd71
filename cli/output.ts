/** CLI output rules: JSON on stdout, logs on stderr, clear error text and a non-zero exit on failure. */
import { InputError, LimitError } from "../app/.server/errors";
import { maskSecrets } from "../app/.server/logger";

export function printJson(value: unknown) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

export function fail(err: unknown): never {
  if (err instanceof InputError) {
    const fields = Object.entries(err.fields).map(([k, v]) => `  ${k}: ${v}`);
    process.stderr.write(`error: ${err.message}${fields.length ? "\n" + fields.join("\n") : ""}\n`);
    process.exit(2);
  }
  // A plan limit is a refusal of this input, not a crash: same exit code as bad input.
  if (err instanceof LimitError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  }
  const e = err as Error;
  process.stderr.write(`error: ${maskSecrets(e?.message ?? String(err))}\n`);
  process.exit(1);
}
