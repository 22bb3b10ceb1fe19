/**
 * Roughly how much memory a value holds, for history's byte budget: what matters is that a large
 * publication counts as large, not the exact figure. Typed arrays count their bytes; an object
 * with a numeric `byteLength` (the market pipeline's TickPublication) is taken at its word; other
 * objects count their own enumerable properties, whatever their class. It runs for every
 * publication a pipeline appends to history, so primitives are counted where they are met and
 * only nested objects go on a stack, made when the first one is. Past `maxNodes` nested values
 * the rest is estimated from what was seen, so a huge trusted value costs bounded time.
 */
export function approxBytes(value: unknown, maxNodes = 10_000): number {
  if (typeof value !== 'object' || value === null) return primitiveBytes(value);
  let bytes = 0;
  let visited = 0;
  let stack: object[] | undefined;
  let v: object | undefined = value;
  while (v !== undefined) {
    if (++visited > maxNodes) return Math.ceil((bytes / maxNodes) * (maxNodes + (stack?.length ?? 0)));
    if (ArrayBuffer.isView(v)) bytes += 64 + v.byteLength;
    else if (Array.isArray(v)) {
      bytes += 16 + 8 * v.length;
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) (stack ??= []).push(item);
        else bytes += primitiveBytes(item);
      }
    } else if (typeof (v as { byteLength?: unknown }).byteLength === 'number') {
      bytes += 64 + (v as { byteLength: number }).byteLength;
    } else {
      bytes += 24;
      for (const key in v) {
        const item: unknown = (v as Record<string, unknown>)[key];
        bytes += 8;
        if (typeof item === 'object' && item !== null) (stack ??= []).push(item);
        else bytes += primitiveBytes(item);
      }
    }
    v = stack?.pop();
  }
  return bytes;
}

function primitiveBytes(v: unknown): number {
  return typeof v === 'string' ? 16 + v.length : 8;
}
