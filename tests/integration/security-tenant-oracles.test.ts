/**
 * Review finding 9: definer helpers callable by any signed-in user counted other agencies' rows, and
 * an admin of B could insert a user of A into B (as member or viewer) under RLS and then read that
 * user's email. Real SQL under RLS, as the app's asUser runs it.
 */
import { describe, expect, it } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { seatSummary } from "../../app/.server/tenancy/invitations";
import { createAgencyFixture } from "../helpers/factories";

describe("cross-tenant oracles in the database", () => {
  it("seat and owner counts answer only for the caller's own agencies", async () => {
    const A = await createAgencyFixture({ workspaces: 1 });
    const B = await createAgencyFixture({ workspaces: 1 });
    for (const fn of ["seats_in_use", "owner_count"]) {
      await expect(asUser(B.admin.id, (tx) => tx.unsafe(`select private.${fn}($1)`, [A.agency.id]))).rejects.toThrow(/permission denied/);
    }
    await expect(asUser(B.admin.id, (tx) => tx`select private.agency_seats_in_use(${A.agency.id})`)).rejects.toThrow(/Not a member/);
    await expect(asUser(A.viewer.id, (tx) => tx`select private.agency_seats_in_use(${A.agency.id})`)).rejects.toThrow(/Not a member/);
    const [{ used }] = await asUser(B.member.id, (tx) => tx<{ used: number }[]>`select private.agency_seats_in_use(${B.agency.id})::int as used`);
    expect(used).toBe(3);
    // the team page's summary (the app's caller) still works for staff
    expect(await seatSummary(B.owner.id, B.agency.id)).toMatchObject({ used: 3, members: 3, pending: 0 });
    // the service path (triggers, CLI) still counts any agency
    const [{ n }] = await asService((tx) => tx<{ n: number }[]>`select private.seats_in_use(${A.agency.id})::int as n`);
    expect(n).toBe(3);
  });

  it("an admin of B cannot pull a user of A into B (member or viewer) and so cannot read their email", async () => {
    const A = await createAgencyFixture({ workspaces: 1 });
    const B = await createAgencyFixture({ workspaces: 1 });
    await expect(
      asUser(B.admin.id, (tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${B.agency.id}, ${A.owner.id}, 'member')`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(
        B.owner.id,
        (tx) => tx`insert into public.workspace_viewers (workspace_id, user_id, agency_id) values (${B.workspaces[0].id}, ${A.owner.id}, ${B.agency.id})`,
      ),
    ).rejects.toThrow(/permission denied/);
    const seen = await asUser(B.admin.id, (tx) => tx`select email from public.users where id = ${A.owner.id}`);
    expect(seen).toHaveLength(0);
    const rows = await asService((tx) => tx`select 1 from public.agency_members where agency_id = ${B.agency.id} and user_id = ${A.owner.id}`);
    expect(rows).toHaveLength(0);
  });
});
