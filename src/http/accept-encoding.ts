export type Encoding = 'br' | 'gzip' | 'identity';

/**
 * The best of the encodings we hold for a file, by the client's Accept-Encoding: brotli before
 * gzip (smaller), honouring `q=0` refusals and `*`. Without the header, identity.
 */
export function negotiateEncoding(header: string | undefined, available: readonly Encoding[]): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const weight = (e: Encoding): number => q.get(e) ?? (e === 'identity' ? 1 : q.get('*') ?? 0);
  for (const e of ['br', 'gzip'] as const) if (available.includes(e) && weight(e) > 0) return e;
  return 'identity';
}
