/**
 * Demo data for `npm start` on the embedded defaults: one agency, its owner with a printed login,
 * and three client workspaces. Idempotent: a second start finds them and changes nothing.
 * Connecting the workspaces to the built-in Meta emulator is done by the sync module's demo hook.
 */
import { asService } from "../db/connection";
import { findAgencyBySlug, findUserByEmail, insertAgencyWithOwner, insertUser, insertWorkspace } from "../tenancy";

export const DEMO_LOGIN = { email: "demo@spendlane.local", password: "demo-password-1" } as const;
export const DEMO_AGENCY = { name: "Northwind Digital", slug: "northwind" } as const;
export const DEMO_CLIENTS = [
  { name: "Acme Outdoor", slug: "acme-outdoor" },
  { name: "Blue Harbor Coffee", slug: "blue-harbor-coffee" },
  { name: "Kumo Tea Japan", slug: "kumo-tea" },
  // its Meta connection needs re-authorisation (demo/connect.ts)
  { name: "Hudson Legal", slug: "hudson-legal" },
] as const;

export async function seedDemo(): Promise<{ agencyId: string; workspaceIds: Record<string, string>; created: boolean }> {
  return asService(async (tx) => {
    const existing = await findAgencyBySlug(tx, DEMO_AGENCY.slug);
    if (existing) {
      const rows = await tx<{ id: string; slug: string }[]>`select id, slug from public.workspaces where agency_id = ${existing.id}`;
      return { agencyId: existing.id, workspaceIds: Object.fromEntries(rows.map((r) => [r.slug, r.id])), created: false };
    }
    const owner =
      (await findUserByEmail(tx, DEMO_LOGIN.email)) ?? (await insertUser(tx, { email: DEMO_LOGIN.email, name: "Dana Demo", password: DEMO_LOGIN.password }));
    const agency = await insertAgencyWithOwner(tx, DEMO_AGENCY, owner.id);
    const workspaceIds: Record<string, string> = {};
    for (const c of DEMO_CLIENTS) workspaceIds[c.slug] = (await insertWorkspace(tx, agency.id, c)).id;
    return { agencyId: agency.id, workspaceIds, created: true };
  });
}
