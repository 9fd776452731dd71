// Whether the production build is older than the sources, and how to make it: one answer for
// `npm start`, the browser-test runner and the browser tests' own server helper.
import fs from "node:fs";
import path from "node:path";

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when build/server/index.js is missing or older than anything under app/ or public/ (copied into build/client). */
export function buildIsStale(root) {
  const marker = path.join(root, "build/server/index.js");
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  const pub = path.join(root, "public");
  return built < Math.max(newestMtime(path.join(root, "app")), fs.existsSync(pub) ? newestMtime(pub) : 0);
}

/** Arguments for `node` that run the Remix production build. */
export function buildArgs(root) {
  return [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"];
}
