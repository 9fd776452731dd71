/**
 * Rate-limit windows are fixed (epoch-aligned, as private.hit_rate_limit counts them). A test that
 * needs its attempts counted in one window starts with at least `needSeconds` of it left, else waits
 * for the next one. Loaded runs have straddled a boundary: 23:00:00 between the 31st guess and the
 * check after it, and a minute boundary inside eleven requests.
 */
export async function withRoomInWindow(windowSeconds: number, needSeconds: number): Promise<void> {
  const left = windowSeconds * 1000 - (Date.now() % (windowSeconds * 1000));
  if (left < needSeconds * 1000) await new Promise((r) => setTimeout(r, left + 50));
}
