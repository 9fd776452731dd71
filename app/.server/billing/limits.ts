/**
 * Plan limits: what an agency may do right now. Other concerns call these (tenancy when adding a
 * client, team when adding a seat, sync for the refresh cadence and the pause).
 *
 * Rules (docs/decisions/0040-billing.md):
 * - the plan's client and seat limits always apply (also with billing off); archived clients do not
 *   count; client viewers are not seats;
 * - with billing on: past_due keeps full access for GRACE_DAYS, then read-only; canceled and unpaid
 *   are read-only; a trial past its end without a subscription is read-only. Read-only keeps all data
 *   and pauses syncing;
 * - with billing off (no STRIPE_SECRET_KEY) nobody can pay, so nothing expires: the trial keeps
 *   Growth's limits and no status makes an agency read-only.
 * The database enforces the client and seat counts too (triggers in migration 0040); `limitErrorFrom`
 * turns their error into the same LimitError.
 */
import { addDays } from "date-fns";
import type { Tx } from "../db/connection";
import { env } from "../env";
import { LimitError, NotFoundError } from "../errors";
import { GRACE_DAYS } from "./plans";

export interface AgencyLimits {
  planId: string;
  planName: string;
  /** null = unlimited */
  clients: number | null;
  seats: number;
  refreshMinutes: number;
  status: string;
  readOnly: boolean;
  syncPaused: boolean;
  graceEndsAt: Date | null;
  billingEnabled: boolean;
}

export interface AgencyUsage {
  clients: number;
  seats: number;
}

export function billingEnabled(): boolean {
  return Boolean(env().STRIPE_SECRET_KEY);
}

interface LimitsRow {
  plan_id: string;
  plan_name: string;
  clients: number | null;
  seats: number;
  refresh_minutes: number;
  subscription_status: string;
  trial_ends_at: Date | null;
  past_due_since: Date | null;
}

/** The pure rule, separate from the query so it can be tested at any instant. */
export function computeLimits(row: LimitsRow, opts: { billingEnabled: boolean; now: Date }): AgencyLimits {
  const status = row.subscription_status;
  const graceEndsAt = status === "past_due" ? addDays(row.past_due_since ?? opts.now, GRACE_DAYS) : null;
  // Our own trial (no subscription yet) ends by the clock; a Stripe trial ends when Stripe says so.
  const trialOver = row.plan_id === "trial" && status === "trialing" && row.trial_ends_at !== null && row.trial_ends_at.getTime() <= opts.now.getTime();
  const readOnly =
    opts.billingEnabled &&
    (status === "canceled" || status === "unpaid" || status === "none" || trialOver || (graceEndsAt !== null && graceEndsAt.getTime() <= opts.now.getTime()));
  return {
    planId: row.plan_id,
    planName: row.plan_name,
    clients: row.clients,
    seats: row.seats,
    refreshMinutes: row.refresh_minutes,
    status,
    readOnly,
    syncPaused: readOnly,
    graceEndsAt,
    billingEnabled: opts.billingEnabled,
  };
}

/**
 * The agency's limits now. Works under asUser (members of the agency; others get NotFoundError) and
 * under asService (sync, webhooks, CLI).
 */
export async function getAgencyLimits(tx: Tx, agencyId: string, now: Date = new Date()): Promise<AgencyLimits> {
  const [row] = await tx<LimitsRow[]>`
    select a.plan_id, p.name as plan_name, p.clients, p.seats, p.refresh_minutes,
           a.subscription_status, a.trial_ends_at, a.past_due_since
    from public.agencies a join public.plans p on p.id = a.plan_id
    where a.id = ${agencyId}`;
  if (!row) throw new NotFoundError("Agency not found");
  return computeLimits(row, { billingEnabled: billingEnabled(), now });
}

/** Active (non-archived) clients and seats (owners, admins, members) in use. */
export async function getAgencyUsage(tx: Tx, agencyId: string): Promise<AgencyUsage> {
  const [row] = await tx<{ clients: number; seats: number }[]>`
    select
      (select count(*)::int from public.workspaces w where w.agency_id = ${agencyId} and w.archived_at is null) as clients,
      (select count(*)::int from public.agency_members m where m.agency_id = ${agencyId}) as seats`;
  return row;
}

const UPGRADE = "Upgrade your plan on the Billing page";

/** Throws LimitError("read_only") when the agency is read-only (canceled, unpaid, or past grace). */
export async function assertWritable(tx: Tx, agencyId: string): Promise<void> {
  const limits = await getAgencyLimits(tx, agencyId);
  if (limits.readOnly) throw readOnlyError(limits);
}

function readOnlyError(limits: AgencyLimits) {
  const why =
    limits.status === "past_due"
      ? "the last payment failed and the grace period has ended"
      : limits.status === "trialing"
        ? "the trial has ended"
        : `the subscription is ${limits.status.replace("_", " ")}`;
  return new LimitError(`This agency is read-only because ${why}. Your data is kept; subscribe on the Billing page to make changes again.`, "read_only");
}

/** Throws LimitError("clients") when one more active client would exceed the plan, or when read-only. */
export async function assertCanAddClient(tx: Tx, agencyId: string): Promise<void> {
  const limits = await getAgencyLimits(tx, agencyId);
  if (limits.readOnly) throw readOnlyError(limits);
  if (limits.clients === null) return;
  const usage = await getAgencyUsage(tx, agencyId);
  if (usage.clients >= limits.clients) throw clientLimitError(limits.planName, limits.clients);
}

/** Throws LimitError("seats") when one more member would exceed the plan, or when read-only. */
export async function assertCanAddSeat(tx: Tx, agencyId: string): Promise<void> {
  const limits = await getAgencyLimits(tx, agencyId);
  if (limits.readOnly) throw readOnlyError(limits);
  const usage = await getAgencyUsage(tx, agencyId);
  if (usage.seats >= limits.seats) throw seatLimitError(limits.planName, limits.seats);
}

function clientLimitError(planName: string, clients: number) {
  return new LimitError(
    `Your ${planName} plan includes ${clients} active clients and all are in use. ${UPGRADE}, or archive a client to add another.`,
    "clients",
  );
}

function seatLimitError(planName: string, seats: number) {
  return new LimitError(`Your ${planName} plan includes ${seats} seats and all are in use. ${UPGRADE} to add more people.`, "seats");
}

/**
 * Maps the database's plan-limit error (raised by the triggers of migration 0040 with hint
 * `plan_limit:<limit>`) to a LimitError with an upgrade prompt; anything else gives undefined.
 */
export function limitErrorFrom(err: unknown): LimitError | undefined {
  const e = err as { code?: string; hint?: string; message?: string };
  if (e?.code !== "P0001" || typeof e.hint !== "string" || !e.hint.startsWith("plan_limit:")) return undefined;
  const limit = e.hint.slice("plan_limit:".length);
  return new LimitError(`${e.message}. ${UPGRADE}${limit === "clients" ? ", or archive a client to add another" : ""}.`, limit);
}
