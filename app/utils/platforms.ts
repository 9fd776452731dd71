/**
 * Meta publisher platforms. The list is open-ended: Meta added `threads` (position `threads_feed`)
 * in 2025 and may add more, so nothing may assume a fixed set. Known platforms get a label and a
 * display order; any other platform is shown under its own name, after the known ones.
 * Plain data shared by the server (reporting) and the browser (the platform breakdown).
 */

/** Labels of the platforms Meta documents today, in display order. */
export const PLATFORM_LABELS: Readonly<Record<string, string>> = {
  facebook: "Facebook",
  instagram: "Instagram",
  audience_network: "Audience Network",
  messenger: "Messenger",
  threads: "Threads",
};

const ORDER = Object.keys(PLATFORM_LABELS);

/** "facebook" -> "Facebook"; an unknown platform keeps its own name ("oculus_feed" stays as Meta sent it). */
export function platformLabel(platform: string): string {
  return PLATFORM_LABELS[platform] ?? platform;
}

/** Known platforms in display order, then any others alphabetically. */
export function comparePlatforms(a: string, b: string): number {
  const ia = ORDER.indexOf(a);
  const ib = ORDER.indexOf(b);
  return (ia === -1 ? ORDER.length : ia) - (ib === -1 ? ORDER.length : ib) || a.localeCompare(b);
}
