import { describe, it, expect } from "vitest";
import { asService, asUser } from "../../app/.server/db/connection";
import { ForbiddenError, InputError, LimitError, NotFoundError } from "../../app/.server/errors";
import { hashToken, inviteMember, inviteViewer, listOpenInvitations, resendInvitation, revokeInvitation } from "../../app/.server/tenancy/invitations";
import { acceptInvitation, acceptInvitationWithNewAccount, previewInvitation } from "../../app/.server/tenancy/invitation-accept";
import { listOutbox, firstLink } from "../../app/.server/mail";
import { createAgencyFixture, createUser, uniq } from "../helpers/factories";

const BASE = "http://app.test";

async function latestToken(email: string): Promise<string> {
  const [msg] = await listOutbox({ to: email, limit: 1 });
  expect(msg, `an email to ${email}`).toBeDefined();
  const link = firstLink(msg.textBody)!;
  expect(link.startsWith(`${BASE}/invite/`)).toBe(true);
  return link.slice(`${BASE}/invite/`.length);
}

async function invitationRow(id: string) {
  const [row] = await asService((tx) => tx`select * from public.invitations where id = ${id}`);
  return row;
}

async function auditActions(agencyId: string) {
  const rows = await asService(
    (tx) => tx<{ action: string; target: Record<string, unknown> }[]>`
    select action, target from public.audit_log where agency_id = ${agencyId} order by id`,
  );
  return rows;
}

async function setPlan(agencyId: string, planId: string) {
  await asService((tx) => tx`update public.agencies set plan_id = ${planId} where id = ${agencyId}`);
}

describe("member invitations", () => {
  it("owner invites; the email carries a single-use link; a new person accepts with a password", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const email = `${uniq("new")}@example.test`;
    const inv = await inviteMember(f.owner.id, f.agency.id, { email: email.toUpperCase(), role: "member" }, { baseUrl: BASE });
    expect(inv.email).toBe(email);
    const row = await invitationRow(inv.id);
    const token = await latestToken(email);
    // only the hash is stored
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.token_hash).not.toContain(token);
    const days = (new Date(row.expires_at).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);

    const preview = await previewInvitation(token);
    expect(preview).toMatchObject({ email, role: "member", status: "pending", accountExists: false, agencySlug: f.agency.slug });

    const accepted = await acceptInvitationWithNewAccount(token, { name: "New Person", password: "a-good-password-1" });
    expect(accepted).toMatchObject({ agencySlug: f.agency.slug, role: "member", workspaceSlug: null });
    const [m] = await asService((tx) => tx`select role from public.agency_members where agency_id = ${f.agency.id} and user_id = ${accepted.userId}`);
    expect(m.role).toBe("member");
    expect((await invitationRow(inv.id)).accepted_at).not.toBeNull();

    // single use
    await expect(acceptInvitation(accepted.userId, token)).rejects.toThrow(/already been used/);
    expect((await previewInvitation(token))!.status).toBe("accepted");

    const actions = (await auditActions(f.agency.id)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["invitation.create", "invitation.accept"]));
    // no secret in audit targets
    for (const a of await auditActions(f.agency.id)) expect(JSON.stringify(a.target)).not.toContain(token);
  });

  it("an existing user accepts while signed in; another email is refused and nothing changes", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const invitee = await createUser();
    const stranger = await createUser();
    const inv = await inviteMember(f.admin.id, f.agency.id, { email: invitee.email, role: "admin" }, { baseUrl: BASE });
    const token = await latestToken(invitee.email);
    expect((await previewInvitation(token))!.accountExists).toBe(true);

    await expect(acceptInvitation(stranger.id, token)).rejects.toThrow(/sent to another email address/);
    const [none] = await asService((tx) => tx`select 1 from public.agency_members where agency_id = ${f.agency.id} and user_id = ${stranger.id}`);
    expect(none).toBeUndefined();
    expect((await invitationRow(inv.id)).accepted_at).toBeNull();

    // an existing account cannot be "created" again through the invitation
    await expect(acceptInvitationWithNewAccount(token, { name: "X", password: "a-good-password-1" })).rejects.toThrow(/already exists/);

    const accepted = await acceptInvitation(invitee.id, token);
    expect(accepted.role).toBe("admin");
    const [m] = await asService((tx) => tx`select role from public.agency_members where agency_id = ${f.agency.id} and user_id = ${invitee.id}`);
    expect(m.role).toBe("admin");
  });

  it("expired, revoked and unknown tokens give clear messages", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const a = await createUser();
    const b = await createUser();
    const invA = await inviteMember(f.owner.id, f.agency.id, { email: a.email, role: "member" }, { baseUrl: BASE });
    const tokenA = await latestToken(a.email);
    await asService((tx) => tx`update public.invitations set expires_at = now() - interval '1 minute' where id = ${invA.id}`);
    expect((await previewInvitation(tokenA))!.status).toBe("expired");
    await expect(acceptInvitation(a.id, tokenA)).rejects.toThrow(/expired/);

    const invB = await inviteMember(f.owner.id, f.agency.id, { email: b.email, role: "member" }, { baseUrl: BASE });
    const tokenB = await latestToken(b.email);
    await revokeInvitation(f.owner.id, f.agency.id, invB.id);
    expect((await previewInvitation(tokenB))!.status).toBe("revoked");
    await expect(acceptInvitation(b.id, tokenB)).rejects.toThrow(/revoked/);
    await expect(revokeInvitation(f.owner.id, f.agency.id, invB.id)).rejects.toThrow(/revoked/);

    const bogus = "A".repeat(43);
    expect(await previewInvitation(bogus)).toBeUndefined();
    expect(await previewInvitation("short")).toBeUndefined();
    await expect(acceptInvitation(a.id, bogus)).rejects.toBeInstanceOf(NotFoundError);
    expect((await auditActions(f.agency.id)).map((x) => x.action)).toContain("invitation.revoke");
  });

  it("resend issues a new token and expiry; the old link stops working", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const a = await createUser();
    const inv = await inviteMember(f.owner.id, f.agency.id, { email: a.email, role: "member" }, { baseUrl: BASE });
    const oldToken = await latestToken(a.email);
    await asService((tx) => tx`update public.invitations set expires_at = now() + interval '1 hour' where id = ${inv.id}`);
    const resent = await resendInvitation(f.admin.id, f.agency.id, inv.id, { baseUrl: BASE });
    expect(resent.emailSent).toBe(true);
    expect(await listOutbox({ to: a.email })).toHaveLength(2);
    const newToken = await latestToken(a.email);
    expect(newToken).not.toBe(oldToken);
    expect(await previewInvitation(oldToken)).toBeUndefined();
    const row = await invitationRow(inv.id);
    expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    await expect(acceptInvitation(a.id, oldToken)).rejects.toBeInstanceOf(NotFoundError);
    await acceptInvitation(a.id, newToken);
    expect((await auditActions(f.agency.id)).map((x) => x.action)).toContain("invitation.resend");
  });

  it("only owners and admins invite; bad input changes nothing", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    const email = `${uniq("x")}@example.test`;
    await expect(inviteMember(f.member.id, f.agency.id, { email, role: "member" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(inviteMember(f.viewer.id, f.agency.id, { email, role: "member" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(inviteMember(other.owner.id, f.agency.id, { email, role: "member" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(inviteMember(f.owner.id, f.agency.id, { email: "not-an-email", role: "member" })).rejects.toBeInstanceOf(InputError);
    await expect(inviteMember(f.owner.id, f.agency.id, { email, role: "owner" })).rejects.toBeInstanceOf(InputError);
    await expect(inviteMember(f.owner.id, f.agency.id, { email: f.member.email, role: "admin" })).rejects.toThrow(/already a member/);
    expect(await listOpenInvitations(f.owner.id, f.agency.id, { workspaceId: null })).toEqual([]);

    await inviteMember(f.owner.id, f.agency.id, { email, role: "member" }, { baseUrl: BASE });
    await expect(inviteMember(f.admin.id, f.agency.id, { email, role: "admin" })).rejects.toThrow(/open invitation/);
    const open = await listOpenInvitations(f.admin.id, f.agency.id, { workspaceId: null });
    expect(open.map((i) => i.email)).toEqual([email]);
    await expect(listOpenInvitations(f.member.id, f.agency.id, { workspaceId: null })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeInvitation(other.owner.id, f.agency.id, open[0].id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeInvitation(other.owner.id, other.agency.id, open[0].id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("seats", () => {
  it("members and open invitations count against the plan; viewers are free; revoking frees a seat", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await setPlan(f.agency.id, "starter"); // 3 seats: owner + admin + member fill it
    const email = `${uniq("s")}@example.test`;
    const err = await inviteMember(f.owner.id, f.agency.id, { email, role: "member" }).catch((e) => e);
    expect(err).toBeInstanceOf(LimitError);
    expect(err.limit).toBe("seats");
    expect(err.message).toMatch(/Billing/);

    // client viewers do not use seats
    await inviteViewer(f.owner.id, f.agency.id, f.workspaces[0].id, { email }, { baseUrl: BASE });

    // free one seat by removing the member, then fill it with a pending invitation
    await asService((tx) => tx`delete from public.agency_members where agency_id = ${f.agency.id} and user_id = ${f.member.id}`);
    const first = await inviteMember(f.owner.id, f.agency.id, { email: `${uniq("s1")}@example.test`, role: "member" }, { baseUrl: BASE });
    const blocked = await inviteMember(f.owner.id, f.agency.id, { email: `${uniq("s2")}@example.test`, role: "member" }).catch((e) => e);
    expect(blocked).toBeInstanceOf(LimitError);
    expect(blocked.message).toMatch(/invited/);
    await revokeInvitation(f.owner.id, f.agency.id, first.id);
    await inviteMember(f.owner.id, f.agency.id, { email: `${uniq("s3")}@example.test`, role: "member" }, { baseUrl: BASE });
  });

  it("resending an expired invitation needs a free seat again", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await setPlan(f.agency.id, "starter");
    await asService((tx) => tx`delete from public.agency_members where agency_id = ${f.agency.id} and user_id = ${f.member.id}`);
    const a = await inviteMember(f.owner.id, f.agency.id, { email: `${uniq("e1")}@example.test`, role: "member" }, { baseUrl: BASE });
    await asService((tx) => tx`update public.invitations set expires_at = now() - interval '1 minute' where id = ${a.id}`);
    // the expired one no longer holds its seat
    await inviteMember(f.owner.id, f.agency.id, { email: `${uniq("e2")}@example.test`, role: "member" }, { baseUrl: BASE });
    await expect(resendInvitation(f.owner.id, f.agency.id, a.id, { baseUrl: BASE })).rejects.toBeInstanceOf(LimitError);
  });
});

describe("client viewer invitations", () => {
  it("a viewer is invited to one workspace, accepts, and sees only that workspace", async () => {
    const f = await createAgencyFixture({ workspaces: 2 });
    const email = `${uniq("client")}@example.test`;
    await inviteViewer(f.admin.id, f.agency.id, f.workspaces[1].id, { email }, { baseUrl: BASE });
    const token = await latestToken(email);
    const [msg] = await listOutbox({ to: email, limit: 1 });
    expect(msg.subject).toContain("Client 2");
    const preview = await previewInvitation(token);
    expect(preview).toMatchObject({ role: "viewer", workspaceSlug: f.workspaces[1].slug, status: "pending" });
    const accepted = await acceptInvitationWithNewAccount(token, { name: "Client", password: "client-password-1" });
    expect(accepted).toMatchObject({ role: "viewer", workspaceSlug: f.workspaces[1].slug });

    const visible = await asUser(accepted.userId, (tx) => tx<{ slug: string }[]>`select slug from public.workspaces order by slug`);
    expect(visible.map((w) => w.slug)).toEqual([f.workspaces[1].slug]);
    const members = await asService((tx) => tx`select 1 from public.agency_members where user_id = ${accepted.userId}`);
    expect(members).toHaveLength(0);
    const listed = await listOpenInvitations(f.owner.id, f.agency.id, { workspaceId: f.workspaces[1].id });
    expect(listed).toEqual([]);
  });

  it("refuses workspaces of another agency, members, and repeat invitations", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    const email = `${uniq("v")}@example.test`;
    await expect(inviteViewer(f.owner.id, f.agency.id, other.workspaces[0].id, { email })).rejects.toBeInstanceOf(NotFoundError);
    await expect(inviteViewer(f.member.id, f.agency.id, f.workspaces[0].id, { email })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(inviteViewer(f.owner.id, f.agency.id, f.workspaces[0].id, { email: f.viewer.email })).rejects.toThrow(/already view/);
    await inviteViewer(f.owner.id, f.agency.id, f.workspaces[0].id, { email }, { baseUrl: BASE });
    await expect(inviteViewer(f.owner.id, f.agency.id, f.workspaces[0].id, { email })).rejects.toThrow(/open invitation/);
  });

  it("concurrent invitations cannot both take the last seat; a token accepted twice at once grants once", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await setPlan(f.agency.id, "starter");
    await asService((tx) => tx`delete from public.agency_members where agency_id = ${f.agency.id} and user_id = ${f.member.id}`);
    // one seat left; two admins' worth of invitations race for it
    const results = await Promise.allSettled([
      inviteMember(f.owner.id, f.agency.id, { email: `${uniq("race1")}@example.test`, role: "member" }, { baseUrl: BASE }),
      inviteMember(f.admin.id, f.agency.id, { email: `${uniq("race2")}@example.test`, role: "member" }, { baseUrl: BASE }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(LimitError);
    const [{ used }] = await asService((tx) => tx<{ used: number }[]>`select private.seats_in_use(${f.agency.id})::int as used`);
    expect(used).toBe(3);

    const invitee = await createUser();
    await setPlan(f.agency.id, "scale");
    await inviteMember(f.owner.id, f.agency.id, { email: invitee.email, role: "member" }, { baseUrl: BASE });
    const token = await latestToken(invitee.email);
    const accepts = await Promise.allSettled([acceptInvitation(invitee.id, token), acceptInvitation(invitee.id, token)]);
    expect(accepts.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(String((accepts.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.message)).toMatch(/already been used/);
    const audits = await asService((tx) => tx`select 1 from public.audit_log where agency_id = ${f.agency.id} and action = 'invitation.accept'`);
    expect(audits).toHaveLength(1);
  });
});
