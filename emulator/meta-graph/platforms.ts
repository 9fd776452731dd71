/** Meta's publisher platforms the emulator delivers on (a leaf module: the generated and the demo worlds both use it). */
export const PLATFORMS = ["facebook", "instagram", "audience_network", "messenger", "threads"] as const;
export type Platform = (typeof PLATFORMS)[number];
