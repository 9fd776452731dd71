#!/usr/bin/env node
// Draws the app icons in public/ (the favicon.svg mark: a blue rounded square with a white rising
// line) as PNGs and a favicon.ico, without an image toolchain: `node scripts/make-icons.mjs`.
import fs from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const BLUE = [0x25, 0x63, 0xeb];
const LINE = [
  [8, 21],
  [13, 15],
  [17, 18],
  [24, 10],
]; // in the 32-unit box of favicon.svg

function segDist(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** size px; radius and inset in the 32-unit box (maskable icons: full bleed, mark inside the safe zone) */
function draw(size, { radius = 8, scale = 1 } = {}) {
  const png = new PNG({ width: size, height: size });
  const ss = 4; // supersampling per axis
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0,
        fg = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const u = ((x + (sx + 0.5) / ss) / size) * 32,
            v = ((y + (sy + 0.5) / ss) / size) * 32;
          const cx = Math.max(radius - u, 0, u - (32 - radius)),
            cy = Math.max(radius - v, 0, v - (32 - radius));
          if (radius > 0 && Math.hypot(cx, cy) > radius) continue;
          bg++;
          const mu = 16 + (u - 16) / scale,
            mv = 16 + (v - 16) / scale;
          let d = Infinity;
          for (let i = 1; i < LINE.length; i++) d = Math.min(d, segDist(mu, mv, LINE[i - 1], LINE[i]));
          if (d <= 1.25) fg++;
        }
      }
      const n = ss * ss,
        i = (y * size + x) * 4;
      const f = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c++) png.data[i + c] = Math.round(BLUE[c] * (1 - f) + 255 * f);
      png.data[i + 3] = Math.round((bg / n) * 255);
    }
  }
  return PNG.sync.write(png);
}

const out = (name, buf) => fs.writeFileSync(path.join(root, "public", name), buf);
out("apple-touch-icon.png", draw(180, { radius: 0 }));
out("icon-192.png", draw(192));
out("icon-512.png", draw(512));
out("icon-maskable-512.png", draw(512, { radius: 0, scale: 0.8 }));
// favicon.ico holding PNG images (supported by every current browser)
const images = [16, 32, 48].map((s) => [s, draw(s)]);
const header = Buffer.alloc(6 + 16 * images.length);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2);
header.writeUInt16LE(images.length, 4);
let offset = header.length;
images.forEach(([s, buf], k) => {
  const e = 6 + 16 * k;
  header.writeUInt8(s, e);
  header.writeUInt8(s, e + 1);
  header.writeUInt16LE(1, e + 4);
  header.writeUInt16LE(32, e + 6);
  header.writeUInt32LE(buf.length, e + 8);
  header.writeUInt32LE(offset, e + 12);
  offset += buf.length;
});
out("favicon.ico", Buffer.concat([header, ...images.map(([, b]) => b)]));
