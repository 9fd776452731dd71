import { z } from "zod";
import type { Tx } from "../db/connection";
import { InputError, fieldErrors, isUniqueViolation } from "../errors";
import { nameSchema, slugSchema, slugify } from "./validation";
import { assertCanAddClient, limitErrorFrom } from "../billing/limits";

export const newWorkspaceSchema = z.object({ name: nameSchema, slug: slugSchema.optional() });

/**
 * Creates a client workspace in an agency. Works under asUser (RLS lets only owners and admins
 * insert) and under asService (CLI). The plan's client limit is checked here (LimitError with an
 * upgrade prompt), and again by a database trigger that closes the race between two inserts.
 */
export async function insertWorkspace(tx: Tx, agencyId: string, input: { name: string; slug?: string }): Promise<{ id: string; slug: string; name: string }> {
  const parsed = newWorkspaceSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the client details", fieldErrors(parsed.error.issues));
  const explicitSlug = parsed.data.slug;
  const base = explicitSlug ?? slugify(parsed.data.name);
  await assertCanAddClient(tx, agencyId);
  for (let attempt = 0; attempt < 50; attempt++) {
    const slug = attempt === 0 ? base : `${base.slice(0, 44)}-${attempt + 1}`;
    try {
      const [ws] = await tx.savepoint(
        (sp) => sp<{ id: string; slug: string; name: string }[]>`
        insert into public.workspaces (agency_id, name, slug) values (${agencyId}, ${parsed.data.name}, ${slug})
        returning id, slug, name`,
      );
      return ws;
    } catch (err) {
      const limit = limitErrorFrom(err);
      if (limit) throw limit;
      if (!isUniqueViolation(err)) throw err;
      if (explicitSlug) throw new InputError("A client with that slug exists", { slug: "That slug is taken" });
    }
  }
  throw new InputError("Could not find a free slug; choose one", { slug: "Choose a slug" });
}
