import { expect } from 'vitest';
import { applyDelta } from 'fossil-delta';
import type { Centrifuge, Subscription } from 'centrifuge';
import { api, connected, until } from './client.js';

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

/** What expectRecoveryThenDeltas needs of a test: its engine's API, a client, and how to publish. */
export interface RecoveryScenario {
  http: string;
  /** A client that reconnects in about 200 ms, not connected yet. */
  client: Centrifuge;
  channel: string;
  /** The data value of a publication as the client's encoding gives it. */
  value: (data: unknown) => unknown;
  /** Publishes snapshots from..to-1 to the channel; what was sent. */
  publish: (from: number, to: number) => Promise<unknown[]>;
}

/**
 * A delta subscription whose transport the server drops: the five publications missed come
 * whole in the recovery, the first live one after it is whole too, then deltas resume, and the
 * subscriber ends with exactly what was sent. Leaves the client connected, for more checks.
 */
export async function expectRecoveryThenDeltas(o: RecoveryScenario): Promise<{ sub: Subscription; sent: unknown[] }> {
  const { client: c } = o;
  await connected(c);
  const sub = c.newSubscription(o.channel, { delta: 'fossil' });
  const got: unknown[] = [];
  let recovered: boolean | undefined;
  sub.on('subscribed', (ctx) => { if (ctx.wasRecovering) recovered = ctx.recovered; });
  sub.on('publication', (ctx) => got.push(o.value(ctx.data)));
  sub.subscribe();
  await sub.ready(5000);
  const sent = await o.publish(0, 10);
  await until(() => got.length === 10, 'first ten');
  const before = sub.deltaStats();
  expect(before.numDeltaPayloads).toBe(9);
  expect((await api(o.http, 'disconnect', { user: '', disconnect: { code: 3011, reason: 'test drop' } })).status).toBe(200);
  await until(() => c.state === 'connecting', 'drop');
  sent.push(...(await o.publish(10, 15)));
  await until(() => recovered !== undefined, 'resubscribe with recovery');
  expect(recovered).toBe(true);
  await until(() => got.length === 15, 'recovered five');
  const afterRecovery = sub.deltaStats();
  expect(afterRecovery.numFullPayloads - before.numFullPayloads).toBe(5);
  sent.push(...(await o.publish(15, 25)));
  await until(() => got.length === 25, 'ten live');
  expect(got).toEqual(sent);
  const end = sub.deltaStats();
  expect(end.numFullPayloads - afterRecovery.numFullPayloads).toBe(1);
  expect(end.numDeltaPayloads - afterRecovery.numDeltaPayloads).toBe(9);
  return { sub, sent };
}
