/** The spliced gzip of cached documents (ADR 0150) is an ordinary gzip member of exactly the joined bytes. */
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { deflateParts, gzipJoined, joinParts, splitBuffer } from "../../app/.server/warm/spliced-gzip";

const nonce = () => Buffer.from(randomBytes(16).toString("base64"));

describe("spliced gzip", () => {
  it("gunzips to the parts joined with each request's separator, whatever the parts", async () => {
    const stored = nonce();
    const docs = [
      Buffer.from(`<html><script nonce="${stored}">a()</script>${"<tr><td>row ü €</td></tr>".repeat(5000)}<script nonce="${stored}">b()</script></html>`),
      Buffer.from(`${stored}${stored}middle${stored}`),
      Buffer.from("no separator at all"),
      Buffer.alloc(0),
      randomBytes(200_000),
    ];
    for (const doc of docs) {
      const d = await deflateParts(splitBuffer(doc, stored));
      expect(joinParts(d, stored).equals(doc)).toBe(true);
      for (let i = 0; i < 3; i++) {
        const mine = nonce();
        const out = gunzipSync(gzipJoined(d, mine));
        expect(out.equals(joinParts(d, mine))).toBe(true);
        // the stored separator is gone wherever it was
        if (doc.includes(stored)) expect(out.includes(stored)).toBe(false);
      }
    }
  });

  it("keeps a document's compression ratio", async () => {
    const stored = nonce();
    const doc = Buffer.from(
      Array.from({ length: 3000 }, (_, i) => (i % 300 === 0 ? `<script nonce="${stored}">x(${i})</script>` : `<tr><td>Campaign ${i}</td></tr>`)).join("\n"),
    );
    const z = gzipJoined(await deflateParts(splitBuffer(doc, stored)), nonce());
    expect(z.length).toBeLessThan(doc.length / 5);
  });
});
