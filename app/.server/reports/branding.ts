/**
 * White label per agency: display name, brand colour, logo, reply-to address, plus the report settings
 * that belong to the agency (time zone of schedules, paper size). Applied to report emails, PDFs, share
 * pages and the client viewer's pages. Owners and admins edit it (RLS, migration 0090).
 *
 * The logo is stored in the database (bytea, 256 KiB cap) and accepted only as PNG or JPEG, checked
 * by its bytes rather than by the name or type the browser claims: SVG can carry script, and the two
 * raster formats are what both browsers and the PDF library render.
 */
import { z } from "zod";
import { asService, asUser, type Tx } from "../db/connection";
import { InputError, LimitError, fieldErrors } from "../errors";
import { isTimeZone } from "./periods";
import { pdfCanEmbedImage } from "./pdf-image";

export const MAX_LOGO_BYTES = 256 * 1024;
export const DEFAULT_BRAND_COLOR = "#2563eb";

export interface Branding {
  agencyId: string;
  agencyName: string;
  displayName: string;
  brandColor: string;
  replyTo: string | null;
  logo: { bytes: Buffer; type: "image/png" | "image/jpeg" } | null;
  timezone: string;
  pageSize: "A4" | "LETTER";
  /** what the agency asked for */
  hidePoweredBy: boolean;
  /** whether the plan lets it remove the footer */
  planAllowsWhiteLabel: boolean;
  /** the footer is shown unless the agency removed it on a plan that allows that */
  poweredBy: boolean;
}

/** The branding page's read: the agency's branding as RLS lets `userId` see it. */
export function readBranding(userId: string, agencyId: string): Promise<Branding> {
  return asUser(userId, (tx) => getBranding(tx, agencyId));
}

/** The agency's logo for a live share link (service path: the link was checked by the caller). */
export async function readShareLogo(agencyId: string): Promise<Branding["logo"]> {
  return (await asService((tx) => getBranding(tx, agencyId))).logo;
}

/** The agency's branding with defaults where it has set nothing. Works under asUser and asService. */
export async function getBranding(tx: Tx, agencyId: string): Promise<Branding> {
  const [row] = await tx<
    {
      name: string;
      white_label: boolean;
      display_name: string | null;
      brand_color: string | null;
      reply_to: string | null;
      logo: Buffer | null;
      logo_type: "image/png" | "image/jpeg" | null;
      timezone: string | null;
      page_size: "A4" | "LETTER" | null;
      hide_powered_by: boolean | null;
    }[]
  >`
    select a.name, p.white_label, b.display_name, b.brand_color, b.reply_to, b.logo, b.logo_type, b.timezone, b.page_size, b.hide_powered_by
    from public.agencies a
    join public.plans p on p.id = a.plan_id
    left join public.agency_branding b on b.agency_id = a.id
    where a.id = ${agencyId}`;
  if (!row) throw new InputError("No such agency");
  const hide = row.hide_powered_by ?? false;
  return {
    agencyId,
    agencyName: row.name,
    displayName: row.display_name ?? row.name,
    brandColor: row.brand_color ?? DEFAULT_BRAND_COLOR,
    replyTo: row.reply_to,
    logo: row.logo && row.logo_type ? { bytes: Buffer.from(row.logo), type: row.logo_type } : null,
    timezone: row.timezone ?? "UTC",
    pageSize: row.page_size ?? "A4",
    hidePoweredBy: hide,
    planAllowsWhiteLabel: row.white_label,
    poweredBy: !(hide && row.white_label),
  };
}

/** The image type of `bytes` by its signature; null when it is neither PNG nor JPEG. */
export function sniffImageType(bytes: Uint8Array): "image/png" | "image/jpeg" | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length > 8 && png.every((b, i) => bytes[i] === b)) return "image/png";
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  return null;
}

/** Validates an uploaded logo; bad input is an InputError on the `logo` field. */
export function validateLogo(bytes: Uint8Array): { bytes: Buffer; type: "image/png" | "image/jpeg" } {
  if (bytes.length === 0) throw new InputError("Choose a logo file", { logo: "The file is empty" });
  if (bytes.length > MAX_LOGO_BYTES) throw new InputError("The logo is too large", { logo: `At most ${MAX_LOGO_BYTES / 1024} KB` });
  const type = sniffImageType(bytes);
  if (!type) throw new InputError("The logo must be a PNG or JPEG image", { logo: "Only PNG or JPEG" });
  // the PDF library must be able to decode it too (it refuses e.g. some interlaced PNGs)
  if (!pdfCanEmbedImage(Buffer.from(bytes))) throw new InputError("This image cannot be used", { logo: "Save it again as a plain PNG or JPEG" });
  return { bytes: Buffer.from(bytes), type };
}

export const brandingSchema = z.object({
  displayName: z
    .string()
    .trim()
    .max(120, "At most 120 characters")
    .optional()
    .transform((v) => v || null),
  brandColor: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^#[0-9a-f]{6}$/, "Use a colour like #2563eb"),
  replyTo: z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v) => v || null)
    .refine((v) => v === null || (v.length <= 254 && /^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(v)), "Enter an email address"),
  timezone: z.string().trim().refine(isTimeZone, "Unknown time zone"),
  pageSize: z.enum(["A4", "LETTER"], { error: "Choose A4 or Letter" }),
  hidePoweredBy: z.boolean().default(false),
});
export type BrandingInput = z.input<typeof brandingSchema>;

/**
 * Saves the agency's branding as `userId` (owners and admins; RLS refuses others). `logo` undefined
 * keeps the current logo, null removes it. Removing the footer needs a plan with white label.
 */
export async function saveBranding(userId: string, agencyId: string, input: BrandingInput, logo?: Uint8Array | null): Promise<void> {
  const parsed = brandingSchema.safeParse(input);
  if (!parsed.success) throw new InputError("Check the branding form", fieldErrors(parsed.error.issues));
  const v = parsed.data;
  const image = logo ? validateLogo(logo) : logo;
  await asUser(userId, async (tx) => {
    const current = await getBranding(tx, agencyId);
    if (v.hidePoweredBy && !current.planAllowsWhiteLabel) {
      throw new LimitError("Removing “Powered by Spendlane” needs the Growth or Scale plan. Upgrade on the Billing page.", "white_label");
    }
    const keep = image === undefined;
    const rows = await tx`
      insert into public.agency_branding (agency_id, display_name, brand_color, reply_to, timezone, page_size, hide_powered_by, logo, logo_type, updated_at)
      values (${agencyId}, ${v.displayName}, ${v.brandColor}, ${v.replyTo}, ${v.timezone}, ${v.pageSize}, ${v.hidePoweredBy},
              ${image ? image.bytes : null}, ${image ? image.type : null}, now())
      on conflict (agency_id) do update set
        display_name = excluded.display_name, brand_color = excluded.brand_color, reply_to = excluded.reply_to,
        timezone = excluded.timezone, page_size = excluded.page_size, hide_powered_by = excluded.hide_powered_by,
        logo = case when ${keep} then public.agency_branding.logo else excluded.logo end,
        logo_type = case when ${keep} then public.agency_branding.logo_type else excluded.logo_type end,
        updated_at = now()
      returning 1`;
    if (!rows.length) throw new InputError("Only owners and admins change the branding");
    // schedules fire in the agency's zone: move their next run when it changes
    if (v.timezone !== current.timezone) await tx`update public.report_schedules set next_run_at = null where agency_id = ${agencyId}`;
  });
}

/**
 * The agency's branding as a client viewer's pages show it (name, colour, logo as a data: URL), read
 * under the viewer's own RLS; null for agency staff, whose pages stay Spendlane's.
 */
export async function viewerBranding(userId: string, agencyId: string, role: string) {
  if (role !== "viewer") return null;
  // viewers cannot read the agency row itself; my_agencies() gives them its name
  const [row] = await asUser(
    userId,
    (tx) => tx<{ name: string; display_name: string | null; brand_color: string | null; logo: Buffer | null; logo_type: string | null }[]>`
    select a.name, b.display_name, b.brand_color, b.logo, b.logo_type
    from private.my_agencies() a left join public.agency_branding b on b.agency_id = a.id
    where a.id = ${agencyId}`,
  );
  if (!row) return null;
  return {
    name: row.display_name ?? row.name,
    color: row.brand_color ?? DEFAULT_BRAND_COLOR,
    logo: row.logo && row.logo_type ? `data:${row.logo_type};base64,${Buffer.from(row.logo).toString("base64")}` : null,
  };
}
