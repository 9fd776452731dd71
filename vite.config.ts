import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import tsconfigPaths from "vite-tsconfig-paths";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  plugins: [
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
    tsconfigPaths(),
  ],
  build: {
    // Keep Vite's manifest (Remix moves it to build/.vite/client-manifest.json, outside the public folder) for
    // bench/bundle-size.ts, which measures what each page loads before and after its lazy chunks.
    manifest: true,
    rollupOptions: {
      // @tremor/react declares no sideEffects; without this every import pulls its whole barrel.
      treeshake: { moduleSideEffects: (id) => !id.includes("@tremor/react") },
    },
  },
  server: { hmr: false },
});
