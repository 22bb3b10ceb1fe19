/**
 * Roughly how much memory a value holds, for history's byte budget: what matters is that a large
 * publication counts as large, not the exact figure. Typed arrays count their bytes (the market
 * pipeline's tick columns are Float64Arrays); objects count their own enumerable properties,
 * whatever their class. Iterative, and it visits at most `maxNodes` values: past that the rest is
 * estimated from what was seen, so a huge trusted value costs bounded time.
 */
export function approxBytes(value: unknown, maxNodes = 10_000): number {
  let bytes = 0;
  let visited = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    if (++visited > maxNodes) return Math.ceil((bytes / maxNodes) * (maxNodes + stack.length));
    const v = stack.pop();
    if (typeof v === 'string') bytes += 16 + v.length;
    else if (typeof v !== 'object' || v === null) bytes += 8;
    else if (ArrayBuffer.isView(v)) bytes += 64 + v.byteLength;
    else if (Array.isArray(v)) {
      bytes += 16 + 8 * v.length;
      for (let i = 0; i < v.length; i++) stack.push(v[i]);
    } else {
      bytes += 24;
      for (const key in v) {
        bytes += 8;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return bytes;
}
