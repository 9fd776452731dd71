/**
 * The JavaScript and CSS the workspace page sends, gzipped: what the browser loads before the charts
 * (entry, root, the route chain, their static imports, CSS) and in all (plus dynamic imports such as
 * the lazily loaded charts). Reads the Vite manifest of a production build (builds when missing).
 *
 *   npx tsx bench/bundle-size.ts        -> bench/results/bundle-size.json
 */
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";

interface Chunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  isEntry?: boolean;
  src?: string;
}

const root = path.resolve(import.meta.dirname, "..");
// Remix moves the client build's Vite manifest out of the public folder, to build/.vite/.
const manifestPath = path.join(root, "build/.vite/client-manifest.json");
if (!fs.existsSync(manifestPath) || process.argv.includes("--build")) {
  execFileSync(process.execPath, [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"], { cwd: root, stdio: "ignore" });
}
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as Record<string, Chunk>;

const gz = (file: string) => gzipSync(fs.readFileSync(path.join(root, "build/client", file)), { level: 9 }).length;

/** Entries on the workspace page: the client entry, root and the route chain down to the dashboard. */
const routeKeys = Object.keys(manifest).filter((k) =>
  /(^|\/)entry\.client|(^|\/)root\.tsx(\?|$)|routes\/a\.\$agency\.tsx(\?|$)|routes\/a\.\$agency\.w\.\$workspace\.tsx(\?|$)|routes\/a\.\$agency\.w\.\$workspace\._index\.tsx(\?|$)/.test(
    k,
  ),
);
// The Remix client entry is keyed by the dev package path; include every entry chunk.
for (const [k, c] of Object.entries(manifest)) if (c.isEntry && !routeKeys.includes(k) && /entry/.test(k)) routeKeys.push(k);

function collect(keys: string[], followDynamic: boolean) {
  const seen = new Set<string>();
  const js = new Set<string>();
  const css = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k) || !manifest[k]) return;
    seen.add(k);
    const c = manifest[k];
    js.add(c.file);
    c.css?.forEach((f) => css.add(f));
    c.imports?.forEach(visit);
    if (followDynamic) c.dynamicImports?.forEach(visit);
  };
  keys.forEach(visit);
  // The stylesheet linked by the root route (tailwind.css?url) is its own manifest entry.
  for (const [k, c] of Object.entries(manifest)) if (k.endsWith(".css")) css.add(c.file);
  return { js: [...js], css: [...css] };
}

const sum = (files: string[]) => files.reduce((n, f) => n + gz(f), 0);
const first = collect(routeKeys, false);
const all = collect(routeKeys, true);
const result = {
  date: new Date().toISOString(),
  routes: routeKeys,
  beforeChartsJsGzipKB: +(sum(first.js) / 1024).toFixed(1),
  totalJsGzipKB: +(sum(all.js) / 1024).toFixed(1),
  cssGzipKB: +(sum(first.css) / 1024).toFixed(1),
  jsFilesBeforeCharts: first.js.length,
  jsFilesTotal: all.js.length,
  budget: { beforeChartsJsGzipKB: 130, totalJsGzipKB: 250 },
};
fs.mkdirSync(path.join(root, "bench/results"), { recursive: true });
fs.writeFileSync(path.join(root, "bench/results/bundle-size.json"), JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result, null, 2));
