/**
 * Large fuzz values grown from one generated number: fast-check draws the seed and the size,
 * and a cheap generator fills kilobytes (drawing each byte from fast-check would cost more
 * time than sending the frame).
 */
export function bytesFrom(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Characters of one kind, each a different UTF-8 length or an escape JSON must write. */
export const stringUnits = ['x', 'é', '€', '😀', '\u0000', '"', '\\', '\n', '\ud800', '\u2028'] as const;

/** A string of about `bytes` UTF-8 bytes made of one unit. */
export function bigString(unit: string, bytes: number): string {
  const size = Buffer.byteLength(unit, 'utf8') || 1;
  return unit.repeat(Math.max(1, Math.floor(bytes / size)));
}
