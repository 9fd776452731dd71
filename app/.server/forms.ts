/**
 * The form pipeline every route action uses (ADR 0140): parse with a zod schema through parseForm
 * (a failure is an InputError with field messages), map every expected failure to a response with
 * expectedFailure (errors.ts), and echo the submitted values with echoValues.
 */
import type { z } from "zod";
import { InputError, fieldErrors } from "./errors";

type FormInput = FormData | Record<string, unknown>;

function toObject(form: FormInput): Record<string, unknown> {
  return form instanceof FormData ? Object.fromEntries(form) : form;
}

/**
 * The form's values as `schema` reads them; otherwise an InputError with one message per field and
 * `message` as its summary (default: the first field's message).
 */
export function parseForm<T>(schema: z.ZodType<T>, form: FormInput, message?: string): T {
  const parsed = schema.safeParse(toObject(form));
  if (!parsed.success) throw new InputError(message ?? parsed.error.issues[0].message, fieldErrors(parsed.error.issues));
  return parsed.data;
}

/**
 * The values a failed form shows again: only the named fields, as strings cut to their length (a
 * password or token is never named, so never echoed); a missing field is its default or "".
 */
export function echoValues<K extends string>(form: FormInput, maxLengths: Record<K, number>, defaults: Partial<Record<K, string>> = {}): Record<K, string> {
  const values = toObject(form);
  const out = {} as Record<K, string>;
  for (const key of Object.keys(maxLengths) as K[]) {
    const v = values[key];
    out[key] = (typeof v === "string" ? v : (defaults[key] ?? "")).slice(0, maxLengths[key]);
  }
  return out;
}
