import { expect } from 'vitest';
import { applyDelta } from 'fossil-delta';

/** A market snapshot as the pipeline makes them: many fields, a few of which move each time. */
export function marketSnapshot(symbol: string, i: number): Record<string, unknown> {
  const last = 100 + Math.sin(i) * 3;
  return {
    symbol, name: `${symbol} Holdings Incorporated`, exchange: 'XNAS', currency: 'USD',
    last: Number(last.toFixed(2)), bid: Number((last - 0.01).toFixed(2)), ask: Number((last + 0.01).toFixed(2)),
    open: 100, high: 103.5, low: 96.5, prevClose: 99.8, change: Number((last - 99.8).toFixed(2)),
    volume: 1_000_000 + i * 137, trades: 5000 + i, ts: 1_764_000_000_000 + i * 100, session: 'regular', halted: false,
  };
}

/** One sample of the engine's /metrics (`name` may carry its labels: `x_total{kind="delta"}`); NaN when absent. */
export async function metric(http: string, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

/**
 * JSON pushes of a delta subscription: the first whole (a JSON string, no `delta` flag), each
 * later one a fossil delta against the one before; each, applied, must give the data sent.
 */
export function expectJsonDeltaChain(pushes: Record<string, unknown>[], sent: unknown[]): void {
  const pubs = pushes.map((x) => x.pub as { data: string; delta?: boolean });
  expect(pubs[0]?.delta).toBeUndefined();
  expect(typeof pubs[0]?.data).toBe('string');
  let prev = new TextEncoder().encode(pubs[0]?.data);
  expect(JSON.parse(pubs[0]?.data as string)).toEqual(sent[0]);
  for (let i = 1; i < pubs.length; i++) {
    const pub = pubs[i] as { data: string; delta?: boolean };
    expect(pub.delta).toBe(true);
    prev = applyDelta(prev, new TextEncoder().encode(pub.data));
    expect(JSON.parse(new TextDecoder().decode(prev))).toEqual(sent[i]);
  }
}
