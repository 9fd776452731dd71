/** Shared input rules for people, agencies and workspaces (forms, CLI and invitations use the same). */
import { z } from "zod";

export const emailSchema = z
  .string({ error: "Email is required" })
  .trim()
  .toLowerCase()
  .min(3, "Email is required")
  .max(254, "Email is too long")
  .pipe(z.email({ error: "Enter a valid email address" }));

export const passwordSchema = z
  .string({ error: "Password is required" })
  .min(10, "Use at least 10 characters")
  .max(200, "Password is too long")
  .refine((p) => /[a-zA-Z]/.test(p) && /[^a-zA-Z]/.test(p), "Mix letters with digits or symbols");

export const nameSchema = z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(120, "Use at most 120 characters");

export const slugSchema = z
  .string({ error: "Slug is required" })
  .trim()
  .toLowerCase()
  .min(1, "Slug is required")
  .max(48, "Use at most 48 characters")
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "Use lowercase letters, digits and dashes, not at either end");

/** "Acme Shoes GmbH" -> "acme-shoes-gmbh"; never empty. */
export function slugify(name: string): string {
  const s = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
  return s || "client";
}
