import { describe, it, expect } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { ForbiddenError, InputError, NotFoundError } from "../../app/.server/errors";
import { changeMemberRole, listAuditLog, listMembers, removeMember, transferOwnership } from "../../app/.server/tenancy/members";
import { createClient } from "../../app/.server/tenancy/clients";
import { addMember, createAgencyFixture, createUser } from "../helpers/factories";

async function roleIn(agencyId: string, userId: string) {
  const [row] = await asService(
    (tx) => tx<{ role: string }[]>`
    select role from public.agency_members where agency_id = ${agencyId} and user_id = ${userId}`,
  );
  return row?.role ?? null;
}

describe("members", () => {
  it("lists members with roles for staff only", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const members = await listMembers(f.member.id, f.agency.id);
    expect(members.map((m) => [m.email, m.role])).toEqual([
      [f.owner.email, "owner"],
      [f.admin.email, "admin"],
      [f.member.email, "member"],
    ]);
    await expect(listMembers(f.viewer.id, f.agency.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("role changes: admins manage non-owners, only owners touch owners, nobody changes their own role", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const extra = await createUser();
    await addMember(f.agency.id, extra.id, "member");

    await changeMemberRole(f.admin.id, f.agency.id, f.member.id, "admin");
    expect(await roleIn(f.agency.id, f.member.id)).toBe("admin");

    await expect(changeMemberRole(f.admin.id, f.agency.id, extra.id, "owner")).rejects.toThrow(/Only an owner/);
    await expect(changeMemberRole(f.admin.id, f.agency.id, f.owner.id, "member")).rejects.toBeInstanceOf(ForbiddenError);
    await expect(changeMemberRole(f.admin.id, f.agency.id, f.admin.id, "member")).rejects.toThrow(/your own role/);
    await expect(changeMemberRole(f.owner.id, f.agency.id, f.owner.id, "admin")).rejects.toThrow(/your own role/);
    await expect(changeMemberRole(extra.id, f.agency.id, f.admin.id, "member")).rejects.toBeInstanceOf(ForbiddenError);
    await expect(changeMemberRole(f.viewer.id, f.agency.id, extra.id, "admin")).rejects.toBeInstanceOf(NotFoundError);
    await expect(changeMemberRole(f.owner.id, f.agency.id, f.viewer.id, "admin")).rejects.toBeInstanceOf(NotFoundError);
    await expect(changeMemberRole(f.owner.id, f.agency.id, extra.id, "superuser" as never)).rejects.toThrow();
    expect(await roleIn(f.agency.id, extra.id)).toBe("member");
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("owner");

    await changeMemberRole(f.owner.id, f.agency.id, extra.id, "owner");
    expect(await roleIn(f.agency.id, extra.id)).toBe("owner");
    // with two owners, one owner may demote the other
    await changeMemberRole(extra.id, f.agency.id, f.owner.id, "admin");
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("admin");

    const { entries } = await listAuditLog(extra.id, f.agency.id);
    const changes = entries.filter((e) => e.action === "member.role_change").map((e) => e.target);
    expect(changes[0]).toMatchObject({ userId: f.owner.id, from: "owner", to: "admin" });
    expect(changes).toHaveLength(3);
  });

  it("removal: admins remove members, not owners; nobody removes themselves; the last owner stays", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await expect(removeMember(f.member.id, f.agency.id, f.admin.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(removeMember(f.admin.id, f.agency.id, f.owner.id)).rejects.toThrow(/Only an owner/);
    await expect(removeMember(f.owner.id, f.agency.id, f.owner.id)).rejects.toThrow(/remove yourself/);
    await removeMember(f.admin.id, f.agency.id, f.member.id);
    expect(await roleIn(f.agency.id, f.member.id)).toBeNull();
    await expect(removeMember(f.admin.id, f.agency.id, f.member.id)).rejects.toBeInstanceOf(NotFoundError);
    const { entries } = await listAuditLog(f.owner.id, f.agency.id);
    expect(entries[0]).toMatchObject({ action: "member.remove", actorUserId: f.admin.id, target: { userId: f.member.id, role: "member" } });
  });

  it("transfers ownership in one step: the member becomes owner, the previous owner admin", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await expect(transferOwnership(f.admin.id, f.agency.id, f.member.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(transferOwnership(f.owner.id, f.agency.id, f.owner.id)).rejects.toBeInstanceOf(InputError);
    await expect(transferOwnership(f.owner.id, f.agency.id, f.viewer.id)).rejects.toBeInstanceOf(NotFoundError);
    await transferOwnership(f.owner.id, f.agency.id, f.member.id);
    expect(await roleIn(f.agency.id, f.member.id)).toBe("owner");
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("admin");
    const [owners] = await asService((tx) => tx`select count(*)::int as n from public.agency_members where agency_id = ${f.agency.id} and role = 'owner'`);
    expect(owners.n).toBe(1);
    const { entries } = await listAuditLog(f.member.id, f.agency.id);
    expect(entries[0]).toMatchObject({ action: "member.transfer_ownership", target: { fromUserId: f.owner.id, toUserId: f.member.id } });
    // the former owner is now an admin and can no longer transfer
    await expect(transferOwnership(f.owner.id, f.agency.id, f.admin.id)).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe("audit log", () => {
  it("is newest first, paged, and readable by owners and admins only", async () => {
    const f = await createAgencyFixture({ workspaces: 0 });
    for (let i = 0; i < 5; i++) await createClient(f.owner.id, f.agency.id, { name: `Audit client ${i}` });
    const page1 = await listAuditLog(f.admin.id, f.agency.id, { limit: 2 });
    expect(page1.entries.map((e) => e.target.name)).toEqual(["Audit client 4", "Audit client 3"]);
    expect(page1.entries[0]).toMatchObject({ action: "client.create", actorEmail: f.owner.email });
    const page2 = await listAuditLog(f.admin.id, f.agency.id, { limit: 2, before: page1.nextBefore! });
    expect(page2.entries.map((e) => e.target.name)).toEqual(["Audit client 2", "Audit client 1"]);
    const page3 = await listAuditLog(f.admin.id, f.agency.id, { limit: 2, before: page2.nextBefore! });
    expect(page3.entries.map((e) => e.target.name)).toEqual(["Audit client 0"]);
    expect(page3.nextBefore).toBeNull();
    // a junk cursor is ignored, not an error
    expect((await listAuditLog(f.admin.id, f.agency.id, { limit: 1, before: "1; drop table" })).entries).toHaveLength(1);
    await expect(listAuditLog(f.member.id, f.agency.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listAuditLog(f.viewer.id, f.agency.id)).rejects.toBeInstanceOf(NotFoundError);
    const other = await createAgencyFixture({ workspaces: 0 });
    await expect(listAuditLog(other.owner.id, f.agency.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("several agencies", () => {
  it("a user in A and B sees each agency's clients separately", async () => {
    const a = await createAgencyFixture({ workspaces: 2, name: "Agency A" });
    const b = await createAgencyFixture({ workspaces: 1, name: "Agency B" });
    const both = await createUser();
    await addMember(a.agency.id, both.id, "member");
    await addMember(b.agency.id, both.id, "admin");
    const clientsOf = (agencyId: string) =>
      asUser(both.id, (tx) => tx<{ id: string }[]>`select id from public.workspaces where agency_id = ${agencyId} order by slug`);
    expect((await clientsOf(a.agency.id)).map((w) => w.id)).toEqual(a.workspaces.map((w) => w.id));
    expect((await clientsOf(b.agency.id)).map((w) => w.id)).toEqual(b.workspaces.map((w) => w.id));
    // role differs per agency: admin in B, member in A
    await expect(listAuditLog(both.id, a.agency.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listAuditLog(both.id, b.agency.id)).entries).toBeDefined();
  });
});
