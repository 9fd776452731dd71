/**
 * Expected failures with a message a person can act on. Routes turn them into form errors (400) or
 * status responses; anything else is unexpected and is logged and answered as a 500.
 */
export class InputError extends Error {
  readonly status = 400;
  constructor(
    message: string,
    /** field name -> message, for forms */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = "InputError";
  }
}

/** Not found, or not yours: the same answer, so ids of other tenants are no existence oracle. */
export class NotFoundError extends Error {
  readonly status = 404;
  constructor(message = "Not found") {
    super(message);
    this.name = "NotFoundError";
  }
}

export class ForbiddenError extends Error {
  readonly status = 403;
  constructor(message = "You do not have permission to do that") {
    super(message);
    this.name = "ForbiddenError";
  }
}

/** A plan limit was reached; the UI shows an upgrade prompt. */
export class LimitError extends Error {
  readonly status = 402;
  constructor(
    message: string,
    readonly limit: string,
  ) {
    super(message);
    this.name = "LimitError";
  }
}

/** zod issues -> { field: message } (first message per field). */
export function fieldErrors(issues: { path: PropertyKey[]; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = i.path.map(String).join(".") || "_form";
    out[key] ??= i.message;
  }
  return out;
}

/** Postgres unique violation (23505) on a given constraint or index name. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint_name?: string };
  return e?.code === "23505" && (!constraint || e.constraint_name === constraint);
}

export interface ExpectedFailure {
  status: number;
  error: string;
  fields: Record<string, string>;
  /** set for plan limits: the page shows an upgrade link to billing */
  limit?: string;
}

/**
 * The expected errors of every concern, shaped for a route action's `data(...)`; undefined for
 * anything unexpected (the route rethrows it: logged, answered 500). 404s become a form message
 * here because the page itself exists; the ids in the form are what was not found.
 */
export function expectedFailure(err: unknown): ExpectedFailure | undefined {
  if (err instanceof InputError) return { status: 400, error: err.message, fields: err.fields };
  if (err instanceof LimitError) return { status: 402, error: err.message, fields: {}, limit: err.limit };
  if (err instanceof ForbiddenError) return { status: 403, error: err.message, fields: {} };
  if (err instanceof NotFoundError) return { status: 404, error: err.message, fields: {} };
  return undefined;
}
