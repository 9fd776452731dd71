/**
 * Names for the audit log's sentences: the agency's clients and people that its entries refer to by
 * id. Read under the reader's RLS (an owner or admin of the agency), so nothing of another agency
 * can be named; ids that no longer resolve fall back to what the entry recorded.
 */
import { asUser } from "../db/connection";
import type { AuditNames } from "~/utils/audit-sentences";

export async function auditNames(actorUserId: string, agencyId: string, ids: { clients: string[]; people: string[] }): Promise<AuditNames> {
  const uuid = /^[0-9a-f-]{36}$/i;
  const clients = ids.clients.filter((x) => uuid.test(x));
  const people = ids.people.filter((x) => uuid.test(x));
  return asUser(actorUserId, async (tx) => {
    const ws = clients.length
      ? await tx<{ id: string; name: string }[]>`select id, name from public.workspaces where agency_id = ${agencyId} and id = any(${clients}::uuid[])`
      : [];
    const us = people.length
      ? await tx<{ id: string; label: string }[]>`
          select u.id, coalesce(u.name, u.email) as label from public.users u
          where u.id = any(${people}::uuid[])`
      : [];
    return {
      clients: Object.fromEntries(ws.map((w) => [w.id, w.name])),
      people: Object.fromEntries(us.map((u) => [u.id, u.label])),
    };
  });
}
