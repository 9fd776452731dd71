/**
 * Database-level enforcement of the team rules: each forbidden change is attempted directly in SQL
 * through asUser (RLS, triggers and definer functions decide), bypassing the server modules.
 * Denial by a `using` clause is silent, so those cases assert that nothing was returned or changed.
 */
import { describe, it, expect } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { hashToken, newToken } from "../../app/.server/tenancy/invitations";
import { createAgencyFixture, createUser } from "../helpers/factories";

async function roleIn(agencyId: string, userId: string) {
  const [row] = await asService(
    (tx) => tx<{ role: string }[]>`
    select role from public.agency_members where agency_id = ${agencyId} and user_id = ${userId}`,
  );
  return row?.role ?? null;
}

async function insertInvitation(agencyId: string, email: string, opts: { role?: string; workspaceId?: string | null; expiresIn?: string } = {}) {
  const { token, tokenHash } = newToken();
  const [row] = await asService(
    (tx) => tx<{ id: string }[]>`
    insert into public.invitations (agency_id, workspace_id, email, role, token_hash, expires_at)
    values (${agencyId}, ${opts.workspaceId ?? null}, ${email}, ${opts.role ?? "member"}, ${tokenHash},
            now() + ${opts.expiresIn ?? "7 days"}::interval)
    returning id`,
  );
  return { id: row.id, token };
}

describe("agency_members under RLS", () => {
  it("members cannot add members; admins cannot add owners", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const u = await createUser();
    // direct inserts are not granted at all (0061): people join by accepting an invitation
    await expect(
      asUser(f.member.id, (tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${f.agency.id}, ${u.id}, 'member')`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(f.admin.id, (tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${f.agency.id}, ${u.id}, 'owner')`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(f.viewer.id, (tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${f.agency.id}, ${f.viewer.id}, 'member')`),
    ).rejects.toThrow(/permission denied/);
    expect(await roleIn(f.agency.id, u.id)).toBeNull();
  });

  it("nobody updates their own role; admins cannot touch owners or make owners", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const self = await asUser(
      f.admin.id,
      (tx) => tx`update public.agency_members set role = 'owner' where agency_id = ${f.agency.id} and user_id = ${f.admin.id} returning 1`,
    );
    expect(self).toHaveLength(0);
    const ownSelf = await asUser(
      f.owner.id,
      (tx) => tx`update public.agency_members set role = 'admin' where agency_id = ${f.agency.id} and user_id = ${f.owner.id} returning 1`,
    );
    expect(ownSelf).toHaveLength(0);
    const demoteOwner = await asUser(
      f.admin.id,
      (tx) => tx`update public.agency_members set role = 'member' where agency_id = ${f.agency.id} and user_id = ${f.owner.id} returning 1`,
    );
    expect(demoteOwner).toHaveLength(0);
    await expect(
      asUser(f.admin.id, (tx) => tx`update public.agency_members set role = 'owner' where agency_id = ${f.agency.id} and user_id = ${f.member.id}`),
    ).rejects.toThrow(/row-level security/);
    const byMember = await asUser(
      f.member.id,
      (tx) => tx`update public.agency_members set role = 'owner' where agency_id = ${f.agency.id} and user_id = ${f.member.id} returning 1`,
    );
    expect(byMember).toHaveLength(0);
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("owner");
    expect(await roleIn(f.agency.id, f.admin.id)).toBe("admin");
    expect(await roleIn(f.agency.id, f.member.id)).toBe("member");
  });

  it("the last owner can be neither demoted nor removed, by anyone", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    // the owner may delete its own row under RLS: the trigger is what stops it
    await expect(
      asUser(f.owner.id, (tx) => tx`delete from public.agency_members where agency_id = ${f.agency.id} and user_id = ${f.owner.id}`),
    ).rejects.toThrow(/at least one owner/);
    // not even the service role
    await expect(
      asService((tx) => tx`update public.agency_members set role = 'admin' where agency_id = ${f.agency.id} and user_id = ${f.owner.id}`),
    ).rejects.toThrow(/at least one owner/);
    const removed = await asUser(
      f.admin.id,
      (tx) => tx`delete from public.agency_members where agency_id = ${f.agency.id} and user_id = ${f.owner.id} returning 1`,
    );
    expect(removed).toHaveLength(0);
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("owner");
  });

  it("transfer_ownership is for owners only and swaps roles atomically", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await expect(asUser(f.admin.id, (tx) => tx`select private.transfer_ownership(${f.agency.id}, ${f.admin.id})`)).rejects.toThrow(/Only an owner/);
    await expect(asUser(f.owner.id, (tx) => tx`select private.transfer_ownership(${f.agency.id}, ${f.viewer.id})`)).rejects.toThrow(/not a member/);
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("owner");
    await asUser(f.owner.id, (tx) => tx`select private.transfer_ownership(${f.agency.id}, ${f.member.id})`);
    expect(await roleIn(f.agency.id, f.member.id)).toBe("owner");
    expect(await roleIn(f.agency.id, f.owner.id)).toBe("admin");
  });
});

describe("invitations under RLS", () => {
  it("only owners and admins see or create invitations, and never the token hash", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await insertInvitation(f.agency.id, "someone@example.test");
    expect(await asUser(f.member.id, (tx) => tx`select id from public.invitations where agency_id = ${f.agency.id}`)).toHaveLength(0);
    expect(await asUser(f.viewer.id, (tx) => tx`select id from public.invitations where agency_id = ${f.agency.id}`)).toHaveLength(0);
    expect(await asUser(f.admin.id, (tx) => tx`select id from public.invitations where agency_id = ${f.agency.id}`)).toHaveLength(1);
    await expect(asUser(f.owner.id, (tx) => tx`select token_hash from public.invitations`)).rejects.toThrow(/permission denied/);
    await expect(
      asUser(
        f.member.id,
        (tx) => tx`
      insert into public.invitations (agency_id, email, role, token_hash) values (${f.agency.id}, 'x@example.test', 'member', ${hashToken("x")})`,
      ),
    ).rejects.toThrow(/row-level security/);
    // accepted_at is not writable by anyone but the definer function
    await expect(asUser(f.owner.id, (tx) => tx`update public.invitations set accepted_at = now() where agency_id = ${f.agency.id}`)).rejects.toThrow(
      /permission denied/,
    );
  });

  it("a viewer invitation cannot point at another agency's workspace", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    await expect(
      asUser(
        f.owner.id,
        (tx) => tx`
      insert into public.invitations (agency_id, workspace_id, email, role, token_hash)
      values (${f.agency.id}, ${other.workspaces[0].id}, 'spy@example.test', 'viewer', ${hashToken("spy")})`,
      ),
    ).rejects.toThrow(/not in this agency/);
    // the guard holds for the service role too
    await expect(insertInvitation(f.agency.id, "spy@example.test", { role: "viewer", workspaceId: other.workspaces[0].id })).rejects.toThrow(
      /not in this agency/,
    );
  });

  it("expiry is at most 7 days, and closed invitations stay closed", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await expect(
      asUser(
        f.owner.id,
        (tx) => tx`
      insert into public.invitations (agency_id, email, role, token_hash, expires_at)
      values (${f.agency.id}, 'long@example.test', 'member', ${hashToken("long")}, now() + interval '30 days')`,
      ),
    ).rejects.toThrow(/within 7 days/);
    const inv = await insertInvitation(f.agency.id, "closed@example.test");
    await asUser(f.owner.id, (tx) => tx`update public.invitations set revoked_at = now() where id = ${inv.id}`);
    await expect(asUser(f.owner.id, (tx) => tx`update public.invitations set revoked_at = null where id = ${inv.id}`)).rejects.toThrow(/already closed/);
    await expect(
      asUser(
        f.owner.id,
        (tx) => tx`update public.invitations set token_hash = ${hashToken("again")}, expires_at = now() + interval '1 day' where id = ${inv.id}`,
      ),
    ).rejects.toThrow(/already closed/);
  });

  it("accept_invitation: bound to the email, single use, not expired, not anonymous", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const invitee = await createUser();
    const stranger = await createUser();
    const inv = await insertInvitation(f.agency.id, invitee.email, { role: "admin" });
    const accept = (userId: string | null, token: string) => asUser(userId, (tx) => tx`select * from private.accept_invitation(${hashToken(token)})`);
    await expect(accept(null, inv.token)).rejects.toThrow(/permission denied/);
    await expect(accept(stranger.id, inv.token)).rejects.toThrow(/another email/);
    expect(await roleIn(f.agency.id, stranger.id)).toBeNull();
    await accept(invitee.id, inv.token);
    expect(await roleIn(f.agency.id, invitee.id)).toBe("admin");
    await expect(accept(invitee.id, inv.token)).rejects.toThrow(/already been used/);

    const late = await createUser();
    const expired = await insertInvitation(f.agency.id, late.email, { expiresIn: "-1 minute" });
    await expect(accept(late.id, expired.token)).rejects.toThrow(/expired/);
    expect(await roleIn(f.agency.id, late.id)).toBeNull();
  });

  it("open member invitations hold seats in the database too; viewers do not", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    // owner + admin + member = 3 of 3 seats
    await expect(
      asUser(
        f.owner.id,
        (tx) => tx`
      insert into public.invitations (agency_id, email, role, token_hash) values (${f.agency.id}, 'seat@example.test', 'member', ${hashToken("seat")})`,
      ),
    ).rejects.toThrow(/seats/);
    await asUser(
      f.owner.id,
      (tx) => tx`
      insert into public.invitations (agency_id, workspace_id, email, role, token_hash)
      values (${f.agency.id}, ${f.workspaces[0].id}, 'client@example.test', 'viewer', ${hashToken("client")})`,
    );
  });
});

describe("workspaces, viewers, audit log, sessions, private tables under RLS", () => {
  it("only owners delete workspaces; members cannot rename; viewers cannot add viewers", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const ws = f.workspaces[0];
    expect(await asUser(f.admin.id, (tx) => tx`delete from public.workspaces where id = ${ws.id} returning 1`)).toHaveLength(0);
    expect(await asUser(f.member.id, (tx) => tx`update public.workspaces set name = 'x' where id = ${ws.id} returning 1`)).toHaveLength(0);
    expect(await asUser(f.viewer.id, (tx) => tx`update public.workspaces set name = 'x' where id = ${ws.id} returning 1`)).toHaveLength(0);
    const friend = await createUser();
    await expect(
      asUser(f.viewer.id, (tx) => tx`insert into public.workspace_viewers (workspace_id, user_id, agency_id) values (${ws.id}, ${friend.id}, ${f.agency.id})`),
    ).rejects.toThrow(/permission denied/);
    expect(await asUser(f.member.id, (tx) => tx`delete from public.workspace_viewers where workspace_id = ${ws.id} returning 1`)).toHaveLength(0);
    const [still] = await asService((tx) => tx`select name from public.workspaces where id = ${ws.id}`);
    expect(still.name).toBe("Client 1");
  });

  it("the audit log is readable by owners and admins only and cannot be edited or forged", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await asUser(
      f.member.id,
      (tx) => tx`insert into public.audit_log (agency_id, actor_user_id, action) values (${f.agency.id}, ${f.member.id}, 'test.entry')`,
    );
    expect(await asUser(f.member.id, (tx) => tx`select 1 from public.audit_log where agency_id = ${f.agency.id}`)).toHaveLength(0);
    expect(await asUser(f.admin.id, (tx) => tx`select 1 from public.audit_log where agency_id = ${f.agency.id}`)).toHaveLength(1);
    await expect(
      asUser(f.member.id, (tx) => tx`insert into public.audit_log (agency_id, actor_user_id, action) values (${f.agency.id}, ${f.owner.id}, 'forged')`),
    ).rejects.toThrow(/row-level security/);
    await expect(asUser(f.owner.id, (tx) => tx`update public.audit_log set action = 'edited' where agency_id = ${f.agency.id}`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asUser(f.owner.id, (tx) => tx`delete from public.audit_log where agency_id = ${f.agency.id}`)).rejects.toThrow(/permission denied/);
  });

  it("users end only their own sessions; outbox and reset tokens are service-only", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await asService((tx) => tx`insert into public.sessions (id, user_id, expires_at) values (${`s-${f.owner.id}`}, ${f.owner.id}, now() + interval '1 day')`);
    expect(await asUser(f.admin.id, (tx) => tx`delete from public.sessions where user_id = ${f.owner.id} returning 1`)).toHaveLength(0);
    expect(await asUser(f.admin.id, (tx) => tx`select 1 from public.sessions where user_id = ${f.owner.id}`)).toHaveLength(0);
    expect(await asUser(f.owner.id, (tx) => tx`delete from public.sessions where user_id = ${f.owner.id} returning 1`)).toHaveLength(1);
    await expect(asUser(f.owner.id, (tx) => tx`select * from private.mail_outbox`)).rejects.toThrow(/permission denied/);
    await expect(asUser(f.owner.id, (tx) => tx`select * from private.password_resets`)).rejects.toThrow(/permission denied/);
    await expect(asUser(null, (tx) => tx`select * from private.mail_outbox`)).rejects.toThrow(/permission denied/);
    await expect(asUser(f.owner.id, (tx) => tx`update public.users set password_hash = 'x' where id = ${f.owner.id}`)).rejects.toThrow(/permission denied/);
  });
});
