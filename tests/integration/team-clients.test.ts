import { describe, it, expect } from "vitest";
import { asService } from "../../app/.server/db/connection";
import { ForbiddenError, InputError, NotFoundError } from "../../app/.server/errors";
import { storeSecret } from "../../app/.server/meta/vault";
import { createClient, deleteClient, listViewers, renameClient, revokeViewer, setClientArchived } from "../../app/.server/tenancy/clients";
import { listAuditLog } from "../../app/.server/tenancy/members";
import { createAgencyFixture } from "../helpers/factories";

async function workspace(id: string) {
  const [row] = await asService((tx) => tx`select name, archived_at from public.workspaces where id = ${id}`);
  return row;
}

describe("client settings", () => {
  it("owners and admins rename, archive and restore; members cannot; each step is audited", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const ws = f.workspaces[0];
    await expect(renameClient(f.member.id, f.agency.id, ws.id, { name: "Nope" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(renameClient(f.viewer.id, f.agency.id, ws.id, { name: "Nope" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(renameClient(f.admin.id, f.agency.id, ws.id, { name: "   " })).rejects.toBeInstanceOf(InputError);
    await expect(renameClient(f.admin.id, f.agency.id, "not-a-uuid", { name: "X" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await workspace(ws.id)).name).toBe("Client 1");

    await renameClient(f.admin.id, f.agency.id, ws.id, { name: "  Acme Shoes  " });
    expect((await workspace(ws.id)).name).toBe("Acme Shoes");
    await setClientArchived(f.admin.id, f.agency.id, ws.id, true);
    expect((await workspace(ws.id)).archived_at).not.toBeNull();
    await setClientArchived(f.owner.id, f.agency.id, ws.id, false);
    expect((await workspace(ws.id)).archived_at).toBeNull();
    await expect(setClientArchived(f.member.id, f.agency.id, ws.id, true)).rejects.toBeInstanceOf(ForbiddenError);

    const { entries } = await listAuditLog(f.owner.id, f.agency.id);
    expect(entries.map((e) => e.action).slice(0, 3)).toEqual(["client.restore", "client.archive", "client.rename"]);
    expect(entries[2].target).toMatchObject({ from: "Client 1", to: "Acme Shoes" });
  });

  it("another agency's client is not found", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    const other = await createAgencyFixture({ workspaces: 1 });
    await expect(renameClient(f.owner.id, f.agency.id, other.workspaces[0].id, { name: "Mine" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(renameClient(f.owner.id, other.agency.id, other.workspaces[0].id, { name: "Mine" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteClient(f.owner.id, f.agency.id, other.workspaces[0].id, { confirm: "Client 1" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await workspace(other.workspaces[0].id)).name).toBe("Client 1");
  });

  it("delete: owner only, typed name, removes the vault secrets, data and access", async () => {
    const f = await createAgencyFixture({ workspaces: 2 });
    const ws = f.workspaces[0];
    const secretId = await asService(async (tx) => {
      const id = await storeSecret(tx, "EAAtesttokenvalue1234567890");
      await tx`insert into public.meta_connections (agency_id, workspace_id, kind, token_secret_id) values (${f.agency.id}, ${ws.id}, 'oauth', ${id})`;
      return id;
    });
    const keep = await asService(async (tx) => {
      const id = await storeSecret(tx, "EAAothertokenvalue1234567890");
      await tx`insert into public.meta_connections (agency_id, workspace_id, kind, token_secret_id) values (${f.agency.id}, ${f.workspaces[1].id}, 'oauth', ${id})`;
      return id;
    });

    await expect(deleteClient(f.admin.id, f.agency.id, ws.id, { confirm: "Client 1" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deleteClient(f.owner.id, f.agency.id, ws.id, { confirm: "client 1" })).rejects.toThrow(/does not match/);
    await expect(deleteClient(f.owner.id, f.agency.id, ws.id, { confirm: "" })).rejects.toBeInstanceOf(InputError);
    expect(await workspace(ws.id)).toBeDefined();

    const result = await deleteClient(f.owner.id, f.agency.id, ws.id, { confirm: "Client 1" });
    expect(result.secretsDeleted).toBe(1);
    expect(await workspace(ws.id)).toBeUndefined();
    const vault = await asService((tx) => tx<{ id: string }[]>`select id from private.token_vault where id in (${secretId}, ${keep})`);
    expect(vault.map((v) => v.id)).toEqual([keep]);
    const viewers = await asService((tx) => tx`select 1 from public.workspace_viewers where workspace_id = ${ws.id}`);
    expect(viewers).toHaveLength(0);
    const { entries } = await listAuditLog(f.owner.id, f.agency.id);
    expect(entries[0]).toMatchObject({ action: "client.delete", target: { workspaceId: ws.id, name: "Client 1" } });
    expect(JSON.stringify(entries[0].target)).not.toContain("EAA");
  });

  it("createClient is audited and respects the plan's client limit", async () => {
    const f = await createAgencyFixture({ workspaces: 0 });
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    for (let i = 0; i < 5; i++) await createClient(f.admin.id, f.agency.id, { name: `C${i}` });
    await expect(createClient(f.admin.id, f.agency.id, { name: "C6" })).rejects.toMatchObject({ limit: "clients" });
    await expect(createClient(f.member.id, f.agency.id, { name: "C7" })).rejects.toBeInstanceOf(ForbiddenError);
    const { entries } = await listAuditLog(f.owner.id, f.agency.id);
    expect(entries.filter((e) => e.action === "client.create")).toHaveLength(5);
  });
});

describe("client viewers", () => {
  it("owners and admins list and revoke viewers of one workspace", async () => {
    const f = await createAgencyFixture({ workspaces: 2 });
    const [ws1, ws2] = f.workspaces;
    expect((await listViewers(f.admin.id, f.agency.id, ws1.id)).map((v) => v.email)).toEqual([f.viewer.email]);
    expect(await listViewers(f.admin.id, f.agency.id, ws2.id)).toEqual([]);
    await expect(listViewers(f.member.id, f.agency.id, ws1.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listViewers(f.viewer.id, f.agency.id, ws1.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeViewer(f.admin.id, f.agency.id, ws2.id, f.viewer.id)).rejects.toBeInstanceOf(NotFoundError);
    await revokeViewer(f.admin.id, f.agency.id, ws1.id, f.viewer.id);
    expect(await listViewers(f.owner.id, f.agency.id, ws1.id)).toEqual([]);
    const { entries } = await listAuditLog(f.owner.id, f.agency.id);
    expect(entries[0]).toMatchObject({ action: "viewer.revoke", target: { userId: f.viewer.id, email: f.viewer.email } });
  });
});
