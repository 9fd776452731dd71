/**
 * Share links: the web report of one schedule and period, readable without an account.
 *
 * The token is HMAC-SHA256(SESSION_SECRET, "report-share:" + link id), base64url: unguessable without
 * the server's secret, and re-derivable by the server, so every email of a period (including one sent
 * by a retry after a crash) carries the same link although the database stores only SHA-256(token).
 * A tampered token, another agency's, a revoked one or one past its expiry all look up nothing: 404.
 *
 * Anonymous readers have no database role that reaches reports, so the lookup and the report itself
 * run as service, scoped to the one workspace and period the link names (ADR 0090).
 */
import { createHash, createHmac } from "node:crypto";
import { asService, asUser, type Tx } from "../db/connection";
import { env } from "../env";
import { NotFoundError } from "../errors";
import type { Compare, DateRange } from "../reporting/dates";
import { readSections, type SectionKind } from "./sections";

export const SHARE_LINK_DAYS = 90;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export interface ShareSnapshot {
  title: string;
  sections: SectionKind[];
  compare: Compare;
  commentary: string;
}

export interface ShareLink {
  id: string;
  agencyId: string;
  workspaceId: string;
  scheduleId: string;
  period: DateRange;
  snapshot: ShareSnapshot;
  expiresAt: Date;
}

export function shareToken(linkId: string): string {
  return createHmac("sha256", env().SESSION_SECRET).update(`report-share:${linkId}`).digest("base64url");
}

export function hashShareToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function shareUrl(baseUrl: string, linkId: string): string {
  return `${baseUrl}/r/${shareToken(linkId)}`;
}

/**
 * The live link of (schedule, period), created on first use with the template as it is now. Runs in
 * the delivery engine's service transaction. An expired live link is retired and replaced.
 */
export async function ensureShareLink(
  tx: Tx,
  input: { agencyId: string; workspaceId: string; scheduleId: string; period: DateRange; snapshot: ShareSnapshot },
): Promise<{ id: string; expiresAt: Date }> {
  const { scheduleId, period } = input;
  await tx`update public.report_share_links set revoked_at = now()
    where schedule_id = ${scheduleId} and period_since = ${period.since} and period_until = ${period.until}
      and revoked_at is null and expires_at <= now()`;
  const [existing] = await tx<{ id: string; expires_at: Date }[]>`
    select id, expires_at from public.report_share_links
    where schedule_id = ${scheduleId} and period_since = ${period.since} and period_until = ${period.until} and revoked_at is null`;
  if (existing) return { id: existing.id, expiresAt: existing.expires_at };
  const [id] = await tx<{ id: string }[]>`select gen_random_uuid()::text as id`;
  const [row] = await tx<{ id: string; expires_at: Date }[]>`
    insert into public.report_share_links (id, agency_id, workspace_id, schedule_id, period_since, period_until, snapshot, token_hash, expires_at)
    values (${id!.id}, ${input.agencyId}, ${input.workspaceId}, ${scheduleId}, ${period.since}, ${period.until},
            ${tx.json(input.snapshot as never)}, ${hashShareToken(shareToken(id!.id))}, now() + ${`${SHARE_LINK_DAYS} days`}::interval)
    on conflict do nothing
    returning id, expires_at`;
  if (row) return { id: row.id, expiresAt: row.expires_at };
  // another worker created it between our select and insert
  const [other] = await tx<{ id: string; expires_at: Date }[]>`
    select id, expires_at from public.report_share_links
    where schedule_id = ${scheduleId} and period_since = ${period.since} and period_until = ${period.until} and revoked_at is null`;
  return { id: other!.id, expiresAt: other!.expires_at };
}

/** The link a token opens, or NotFoundError (malformed, unknown, tampered, revoked, expired alike). */
export async function openShareLink(token: string): Promise<ShareLink> {
  if (!TOKEN_RE.test(token)) throw new NotFoundError();
  const [row] = await asService(
    (tx) => tx<
      {
        id: string;
        agency_id: string;
        workspace_id: string;
        schedule_id: string;
        since: string;
        until: string;
        snapshot: Record<string, unknown>;
        expires_at: Date;
      }[]
    >`
    select l.id, l.agency_id, l.workspace_id, l.schedule_id, l.period_since::text as since, l.period_until::text as until, l.snapshot, l.expires_at
    from public.report_share_links l
    join public.workspaces w on w.id = l.workspace_id and w.agency_id = l.agency_id
    where l.token_hash = ${hashShareToken(token)} and l.revoked_at is null and l.expires_at > now()`,
  );
  if (!row) throw new NotFoundError();
  const s = row.snapshot;
  return {
    id: row.id,
    agencyId: row.agency_id,
    workspaceId: row.workspace_id,
    scheduleId: row.schedule_id,
    period: { since: row.since, until: row.until },
    snapshot: {
      title: typeof s.title === "string" ? s.title : "Report",
      sections: readSections(s.sections),
      compare: s.compare === "year" || s.compare === "none" ? s.compare : "previous",
      commentary: typeof s.commentary === "string" ? s.commentary : "",
    },
    expiresAt: row.expires_at,
  };
}

/** Revokes a link as `userId` (agency staff; RLS hides other agencies' links: NotFoundError). */
export async function revokeShareLink(userId: string, agencyId: string, linkId: string): Promise<void> {
  const rows = await asUser(
    userId,
    (tx) => tx`
    update public.report_share_links set revoked_at = now()
    where id = ${linkId} and agency_id = ${agencyId} and revoked_at is null returning 1`,
  );
  if (!rows.length) throw new NotFoundError("No such share link");
}
