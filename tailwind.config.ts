import type { Config } from "tailwindcss";

// Tremor 3 needs Tailwind 3; its components read the `tremor-*` colour tokens defined here.
export default {
  content: ["./app/**/*.{ts,tsx}", "./node_modules/@tremor/**/*.{js,ts,jsx,tsx}"],
  darkMode: "class",
  theme: {
    extend: {
      fontFamily: { sans: ["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"] },
      colors: {
        // zinc-500 lightened from #71717a (3.7:1 on zinc-900) so small grey captions meet WCAG AA 4.5:1
        // on every dark surface we use (zinc-950/900/800); axe-core checks it in the browser tests.
        zinc: { 500: "#90909a" },
        tremor: {
          brand: { faint: "#0B1229", muted: "#172554", subtle: "#1e40af", DEFAULT: "#3b82f6", emphasis: "#60a5fa", inverted: "#030712" },
          background: { muted: "#131A2B", subtle: "#1f2937", DEFAULT: "#09090b", emphasis: "#d4d4d8" },
          border: { DEFAULT: "#27272a" },
          ring: { DEFAULT: "#27272a" },
          content: { subtle: "#90909a", DEFAULT: "#a1a1aa", emphasis: "#e4e4e7", strong: "#fafafa", inverted: "#000000" },
        },
        "dark-tremor": {
          brand: { faint: "#0B1229", muted: "#172554", subtle: "#1e40af", DEFAULT: "#3b82f6", emphasis: "#60a5fa", inverted: "#030712" },
          background: { muted: "#131A2B", subtle: "#1f2937", DEFAULT: "#09090b", emphasis: "#d4d4d8" },
          border: { DEFAULT: "#27272a" },
          ring: { DEFAULT: "#27272a" },
          content: { subtle: "#90909a", DEFAULT: "#a1a1aa", emphasis: "#e4e4e7", strong: "#fafafa", inverted: "#000000" },
        },
      },
      borderRadius: { "tremor-small": "0.375rem", "tremor-default": "0.5rem", "tremor-full": "9999px" },
      fontSize: {
        "tremor-label": ["0.75rem", { lineHeight: "1rem" }],
        "tremor-default": ["0.875rem", { lineHeight: "1.25rem" }],
        "tremor-title": ["1.125rem", { lineHeight: "1.75rem" }],
        "tremor-metric": ["1.875rem", { lineHeight: "2.25rem" }],
      },
    },
  },
  safelist: [
    {
      pattern: /^(bg|text|border|ring|stroke|fill)-(blue|emerald|amber|rose|violet|cyan|zinc)-(400|500|600)$/,
      variants: ["hover", "ui-selected"],
    },
  ],
  plugins: [],
} satisfies Config;
