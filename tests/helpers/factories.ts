/**
 * Test data builders. Every test makes its own tenants with unique emails and slugs, so test files
 * share one database (PGlite or PostgreSQL) without stepping on each other.
 */
import { randomBytes } from "node:crypto";
import { asService } from "../../app/.server/db/connection";
import { insertAgencyWithOwner, insertUser, insertWorkspace } from "../../app/.server/tenancy";
import { hashPassword } from "../../app/.server/tenancy/users";

export const TEST_PASSWORD = "test-password-1";

export function uniq(prefix = "t") {
  return `${prefix}${randomBytes(5).toString("hex")}`;
}

/**
 * TEST_PASSWORD's argon2 hash, computed once per test process: users of fixtures share it (a salt per
 * user buys a test nothing, and hundreds of argon2 hashes are CPU a loaded machine does not have).
 */
let testPasswordHash: Promise<string> | undefined;

export async function createUser(opts: { email?: string; name?: string; password?: string } = {}) {
  const base = { email: opts.email ?? `${uniq("u")}@example.test`, name: opts.name ?? "Test User" };
  if (opts.password !== undefined && opts.password !== TEST_PASSWORD) return asService((tx) => insertUser(tx, { ...base, password: opts.password }));
  testPasswordHash ??= hashPassword(TEST_PASSWORD);
  const hash = await testPasswordHash;
  return asService(async (tx) => {
    const user = await insertUser(tx, base);
    await tx`update public.users set password_hash = ${hash} where id = ${user.id}`;
    return user;
  });
}

export type Role = "owner" | "admin" | "member";

export async function addMember(agencyId: string, userId: string, role: Role) {
  await asService((tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${agencyId}, ${userId}, ${role})`);
}

export async function addViewer(workspaceId: string, userId: string) {
  await asService(
    (tx) => tx`insert into public.workspace_viewers (workspace_id, user_id, agency_id)
    select ${workspaceId}, ${userId}, w.agency_id from public.workspaces w where w.id = ${workspaceId}`,
  );
}

/**
 * An agency with an owner, an admin, a member, `workspaces` client workspaces and a viewer of the
 * first workspace. Returns ids and emails of everyone.
 */
export async function createAgencyFixture(opts: { workspaces?: number; name?: string } = {}) {
  const owner = await createUser({ name: "Owner" });
  const admin = await createUser({ name: "Admin" });
  const member = await createUser({ name: "Member" });
  const viewer = await createUser({ name: "Client Viewer" });
  const slug = uniq("ag-");
  const agency = await asService((tx) => insertAgencyWithOwner(tx, { name: opts.name ?? `Agency ${slug}`, slug }, owner.id));
  await addMember(agency.id, admin.id, "admin");
  await addMember(agency.id, member.id, "member");
  const workspaces = [];
  for (let i = 0; i < (opts.workspaces ?? 2); i++) {
    workspaces.push(await asService((tx) => insertWorkspace(tx, agency.id, { name: `Client ${i + 1}`, slug: `client-${i + 1}` })));
  }
  if (workspaces[0]) await addViewer(workspaces[0].id, viewer.id);
  return { agency, owner, admin, member, viewer, workspaces };
}
