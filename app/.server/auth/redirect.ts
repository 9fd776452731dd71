/**
 * Open-redirect protection for `redirectTo` parameters: only same-site absolute paths pass.
 * "//evil.example" and "/\evil.example" are protocol-relative to browsers, so both are refused,
 * as are control characters (browsers strip tabs and newlines, which turns "/\t/evil" into "//evil").
 */
export const DEFAULT_REDIRECT = "/a";

export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback: string = DEFAULT_REDIRECT): string {
  if (typeof to !== "string" || to.length === 0 || to.length > 2048) return fallback;
  if (!to.startsWith("/") || to.startsWith("//")) return fallback;
  if (to.includes("\\")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(to)) return fallback;
  try {
    // Resolving against a dummy origin must keep that origin; anything else escaped the site.
    const url = new URL(to, "http://spendlane.invalid");
    if (url.origin !== "http://spendlane.invalid") return fallback;
  } catch {
    return fallback;
  }
  return to;
}
