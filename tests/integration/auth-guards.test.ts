/**
 * Sessions and route guards against the real database: cookies carry only a session id, expired or
 * deleted sessions are refused, and guards answer 404 for other tenants (403 only for a staff role
 * that is too low).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { createUserSession, destroyUserSession, getUser, requireUser } from "../../app/.server/auth/session";
import { listMyAgencies, requireAgency, requireAgencyRole, requireWorkspace } from "../../app/.server/auth/guards";
import { homePathFor, listClientWorkspaces } from "../../app/.server/auth/shell";
import { createAgencyFixture, createUser } from "../helpers/factories";
import { requestAs, sessionCookieFor } from "../helpers/session";

async function status(p: Promise<unknown>): Promise<number | "ok"> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof Response) return err.status;
    throw err;
  }
}

describe("sessions", () => {
  it("round-trips a signed cookie that holds only a random id", async () => {
    const u = await createUser({ name: "Sam" });
    const setCookie = await createUserSession(new Request("http://localhost/login", { headers: { "user-agent": "vitest" } }), u.id);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=2592000/);
    expect(setCookie).not.toContain(u.id);
    const cookie = setCookie.split(";")[0];
    const user = await getUser(new Request("http://localhost/", { headers: { Cookie: cookie } }));
    expect(user).toMatchObject({ id: u.id, email: u.email, name: "Sam" });
    const [row] = await asService((tx) => tx`select user_id, user_agent from public.sessions where id = ${user!.sessionId}`);
    expect(row).toMatchObject({ user_id: u.id, user_agent: "vitest" });
  });

  it("issues a new id on every login and deletes the one the request carried", async () => {
    const u = await createUser();
    const first = await sessionCookieFor(u.id);
    const second = (await createUserSession(new Request("http://localhost/login", { headers: { Cookie: first } }), u.id)).split(";")[0];
    expect(second).not.toBe(first);
    expect(await getUser(new Request("http://localhost/", { headers: { Cookie: first } }))).toBeNull();
    expect((await getUser(new Request("http://localhost/", { headers: { Cookie: second } })))?.id).toBe(u.id);
  });

  it("refuses expired sessions and removes their row", async () => {
    const u = await createUser();
    const req = await requestAs(u.id, "/a");
    const user = await getUser(req);
    await asService((tx) => tx`update public.sessions set expires_at = now() - interval '1 minute' where id = ${user!.sessionId}`);
    expect(await getUser(req)).toBeNull();
    const rows = await asService((tx) => tx`select 1 from public.sessions where id = ${user!.sessionId}`);
    expect(rows).toHaveLength(0);
  });

  it("refuses tampered cookies and unknown ids", async () => {
    const u = await createUser();
    const cookie = await sessionCookieFor(u.id);
    const tampered = cookie.slice(0, -3) + (cookie.endsWith("A") ? "BBB" : "AAA");
    expect(await getUser(new Request("http://localhost/", { headers: { Cookie: tampered } }))).toBeNull();
    expect(await getUser(new Request("http://localhost/", { headers: { Cookie: "__spendlane_session=abc" } }))).toBeNull();
  });

  it("logout deletes the row and clears the cookie", async () => {
    const u = await createUser();
    const req = await requestAs(u.id, "/logout", { method: "POST" });
    const { sessionId } = (await getUser(req))!;
    const cleared = await destroyUserSession(req);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect(await asService((tx) => tx`select 1 from public.sessions where id = ${sessionId}`)).toHaveLength(0);
    expect(await getUser(req)).toBeNull();
  });

  it("requireUser redirects anonymous requests to /login with a way back", async () => {
    try {
      await requireUser(new Request("http://localhost/a/acme/clients?x=1"));
      expect.unreachable();
    } catch (err) {
      const res = err as Response;
      expect(res.status).toBe(302);
      expect(res.headers.get("Location")).toBe("/login?redirectTo=%2Fa%2Facme%2Fclients%3Fx%3D1");
    }
  });
});

describe("guards", () => {
  let A: Awaited<ReturnType<typeof createAgencyFixture>>;
  let B: Awaited<ReturnType<typeof createAgencyFixture>>;
  beforeAll(async () => {
    A = await createAgencyFixture();
    B = await createAgencyFixture();
  });

  it("requireAgency lets in members with their role and viewers as viewer; 404 for outsiders and bad slugs", async () => {
    const slug = A.agency.slug;
    expect((await requireAgency(await requestAs(A.owner.id, "/"), slug)).role).toBe("owner");
    expect((await requireAgency(await requestAs(A.admin.id, "/"), slug)).role).toBe("admin");
    expect((await requireAgency(await requestAs(A.member.id, "/"), slug)).role).toBe("member");
    const v = await requireAgency(await requestAs(A.viewer.id, "/"), slug);
    expect(v).toMatchObject({ role: "viewer", agency: { id: A.agency.id, slug, name: A.agency.name } });
    expect(await status(requireAgency(await requestAs(B.owner.id, "/"), slug))).toBe(404);
    expect(await status(requireAgency(await requestAs(A.owner.id, "/"), "no-such-agency"))).toBe(404);
    expect(await status(requireAgency(await requestAs(A.owner.id, "/"), "../../etc"))).toBe(404);
    expect(await status(requireAgency(new Request("http://localhost/a/x"), slug))).toBe(302);
  });

  it("requireAgencyRole: 404 for viewers and outsiders, 403 for too low a staff role", async () => {
    const slug = A.agency.slug;
    expect(await status(requireAgencyRole(await requestAs(A.owner.id, "/"), slug, ["owner"]))).toBe("ok");
    expect(await status(requireAgencyRole(await requestAs(A.admin.id, "/"), slug, ["owner", "admin"]))).toBe("ok");
    expect(await status(requireAgencyRole(await requestAs(A.member.id, "/"), slug, ["owner", "admin"]))).toBe(403);
    expect(await status(requireAgencyRole(await requestAs(A.viewer.id, "/"), slug, ["owner", "admin", "member"]))).toBe(404);
    expect(await status(requireAgencyRole(await requestAs(B.owner.id, "/"), slug, ["owner"]))).toBe(404);
  });

  it("requireWorkspace follows RLS: staff see all, a viewer only theirs, other agencies nothing", async () => {
    const [w1, w2] = A.workspaces;
    const m = await requireWorkspace(await requestAs(A.member.id, "/"), A.agency.slug, w2.slug);
    expect(m).toMatchObject({ role: "member", canManage: false, workspace: { id: w2.id, archivedAt: null } });
    expect((await requireWorkspace(await requestAs(A.admin.id, "/"), A.agency.slug, w1.slug)).canManage).toBe(true);
    expect((await requireWorkspace(await requestAs(A.viewer.id, "/"), A.agency.slug, w1.slug)).canManage).toBe(false);
    expect(await status(requireWorkspace(await requestAs(A.viewer.id, "/"), A.agency.slug, w2.slug))).toBe(404);
    expect(await status(requireWorkspace(await requestAs(B.owner.id, "/"), A.agency.slug, w1.slug))).toBe(404);
    // B's own workspace slug under A's agency slug is no way in either
    expect(await status(requireWorkspace(await requestAs(B.owner.id, "/"), B.agency.slug, w1.slug))).toBe("ok");
    expect(await status(requireWorkspace(await requestAs(A.owner.id, "/"), B.agency.slug, w1.slug))).toBe(404);
  });

  it("listMyAgencies lists staff agencies before viewer access", async () => {
    const u = await createUser();
    await asService(
      (tx) => tx`insert into public.workspace_viewers (workspace_id, user_id, agency_id) values (${B.workspaces[1].id}, ${u.id}, ${B.agency.id})`,
    );
    await asService((tx) => tx`insert into public.agency_members (agency_id, user_id, role) values (${A.agency.id}, ${u.id}, 'member')`);
    const list = await listMyAgencies(u.id);
    expect(list.map((a) => [a.slug, a.role])).toEqual([
      [A.agency.slug, "member"],
      [B.agency.slug, "viewer"],
    ]);
  });

  it("homePathFor: staff land on their agency, a pure viewer on their workspace, nobody on nothing", async () => {
    expect(await homePathFor(A.member.id)).toBe(`/a/${A.agency.slug}`);
    expect(await homePathFor(A.viewer.id)).toBe(`/a/${A.agency.slug}/w/${A.workspaces[0].slug}`);
    const loner = await createUser();
    expect(await homePathFor(loner.id)).toBeNull();
  });

  it("listClientWorkspaces shows staff every client of their agency and outsiders none", async () => {
    expect((await listClientWorkspaces(A.member.id, A.agency.id)).map((w) => w.slug).sort()).toEqual(["client-1", "client-2"]);
    expect(await listClientWorkspaces(B.owner.id, A.agency.id)).toEqual([]);
  });
});
