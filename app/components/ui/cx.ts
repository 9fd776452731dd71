/** Joins class names, skipping falsy ones (tiny on purpose: no dependency for one line). */
export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(" ");
}
