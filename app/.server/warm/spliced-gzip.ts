/**
 * Gzip for a cached document whose nonce differs on every request, without compressing it again
 * (ADR 0150). The parts between the nonces are deflated once, each from a fresh state and ended with a
 * full flush, so each is a byte-aligned run of deflate blocks that refers to nothing before it; a
 * request's nonce goes between them as a stored (uncompressed) block, then the final empty block and
 * the gzip trailer (CRC-32 and length of what the client will read). The result is one ordinary gzip
 * member, which any gzip reader accepts. Per request this costs a CRC over the document instead of a
 * deflate of it.
 */
import { constants, crc32, deflateRaw } from "node:zlib";
import { promisify } from "node:util";

const deflateRawAsync = promisify(deflateRaw);
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff]);
/** A final stored block of length 0: ends the deflate stream (BFINAL=1). */
const FINAL = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]);

export interface DeflatedParts {
  parts: Buffer[];
  segments: Buffer[];
}

/** `raw` cut at every occurrence of `separator`. */
export function splitBuffer(raw: Buffer, separator: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = raw.indexOf(separator, from); at !== -1; at = raw.indexOf(separator, from)) {
    parts.push(raw.subarray(from, at));
    from = at + separator.length;
  }
  parts.push(raw.subarray(from));
  return parts;
}

export async function deflateParts(parts: Buffer[]): Promise<DeflatedParts> {
  const segments = await Promise.all(parts.map((p) => deflateRawAsync(p, { finishFlush: constants.Z_FULL_FLUSH })));
  return { parts, segments };
}

/** The parts joined with `separator`, uncompressed. */
export function joinParts(d: DeflatedParts, separator: Buffer): Buffer {
  const out: Buffer[] = [];
  d.parts.forEach((p, i) => (i === 0 ? out.push(p) : out.push(separator, p)));
  return Buffer.concat(out);
}

/** The parts joined with `separator` (at most 65 535 bytes), as one gzip member. */
export function gzipJoined(d: DeflatedParts, separator: Buffer): Buffer {
  const len = separator.length;
  if (len > 0xffff) throw new Error("separator too long for one stored block");
  const stored = Buffer.concat([Buffer.from([0x00, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff]), separator]);
  const out: Buffer[] = [HEADER];
  let crc = 0;
  let size = 0;
  d.parts.forEach((p, i) => {
    if (i > 0) {
      out.push(stored);
      crc = crc32(separator, crc);
      size += len;
    }
    out.push(d.segments[i]);
    crc = crc32(p, crc);
    size += p.length;
  });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  out.push(FINAL, trailer);
  return Buffer.concat(out);
}
