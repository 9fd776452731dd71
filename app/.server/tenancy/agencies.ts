import { z } from "zod";
import type { Tx } from "../db/connection";
import { TRIAL_DAYS } from "../billing/plans";
import { InputError, fieldErrors, isUniqueViolation } from "../errors";
import { nameSchema, slugSchema, slugify } from "./validation";

export const newAgencySchema = z.object({ name: nameSchema, slug: slugSchema.optional() });

/** Creates an agency with `ownerUserId` as its owner (service path: sign-up and CLI). */
export async function insertAgencyWithOwner(
  tx: Tx,
  input: { name: string; slug?: string },
  ownerUserId: string,
): Promise<{ id: string; slug: string; name: string }> {
  const parsed = newAgencySchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the agency details", fieldErrors(parsed.error.issues));
  const explicitSlug = parsed.data.slug;
  const base = explicitSlug ?? slugify(parsed.data.name);
  // An explicit slug must be free; a derived one gets a numeric suffix until it is.
  for (let attempt = 0; attempt < 50; attempt++) {
    const slug = attempt === 0 ? base : `${base.slice(0, 44)}-${attempt + 1}`;
    try {
      const [agency] = await tx.savepoint(
        (sp) => sp<{ id: string; slug: string; name: string }[]>`
        insert into public.agencies (name, slug, trial_ends_at) values (${parsed.data.name}, ${slug}, now() + make_interval(days => ${TRIAL_DAYS}))
        returning id, slug, name`,
      );
      await tx`insert into public.agency_members (agency_id, user_id, role) values (${agency.id}, ${ownerUserId}, 'owner')`;
      return agency;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (explicitSlug) throw new InputError("That agency slug is taken", { slug: "That slug is taken" });
    }
  }
  throw new InputError("Could not find a free slug; choose one", { slug: "Choose a slug" });
}

export async function findAgencyBySlug(tx: Tx, slug: string) {
  const [row] = await tx<{ id: string; slug: string; name: string }[]>`
    select id, slug, name from public.agencies where slug = ${slug}`;
  return row;
}
