import { describe, expect, it } from 'vitest';
import { FanoutTap, MemoryBroker, NamespaceRegistry, type Broker, type FanoutSink } from '../../src/broker/index.js';
import { loadConfig } from '../../src/index.js';
import { MarketMirror, MarketMirrorError, type Bar, type ChannelFollower, type MarketSnapshot } from '../../streams/index.js';

// The mirror on the memory broker (in process, the same contract as Redis): backfill, the overlap
// of backfill and live channel, bad data, stop, and catching up again. Across Redis nodes: test/integration/market-mirror.test.ts.
const T0 = Date.UTC(2026, 0, 5, 14, 30);
const bar = (i: number, final = true, symbol = 'MIRU'): Bar => ({
  symbol, interval: '1s', start: T0 + i * 1000, end: T0 + (i + 1) * 1000,
  open: 10 + i, high: 11 + i, low: 9 + i, close: 10.5 + i, volume: 100 + i, vwap: 10.25 + i, trades: 3, final,
});
const snapshot = (trades: number): MarketSnapshot => ({
  symbol: 'MIRU', last: 10 + trades, change: trades, changePct: trades * 10, open: 10, high: 10 + trades, low: 10, volume: trades * 100, vwap: 10.5, trades, ts: T0 + trades,
});

/** A memory broker whose deliveries reach the mirror through the tap, as the engine wires a Redis broker. */
function setup(follower?: (broker: Broker) => ChannelFollower) {
  const box: { mirror?: MarketMirror; tapped: boolean } = { tapped: true };
  const local: FanoutSink = { publication() {}, join() {}, leave() {} };
  const fanout = new FanoutTap(local, (channel, pub) => { if (box.tapped) box.mirror?.receive(channel, pub.data); });
  const broker = new MemoryBroker({ namespaces: new NamespaceRegistry(loadConfig({}).namespaces), fanout, limits: { maxBytes: 64 * 1024 * 1024 } });
  const mirror = new MarketMirror({ channels: follower ? follower(broker) : broker, symbols: ['MIRU'], intervals: ['1s'], historySize: 100 });
  box.mirror = mirror;
  const starts = () => mirror.bars.slice('MIRU', '1s', 0, 100).map((b) => (b.start - T0) / 1000);
  return { broker, mirror, box, starts };
}

describe('market mirror', () => {
  it('backfills the final bars in order and the latest snapshot, then follows the channels live', async () => {
    const { broker, mirror, starts } = setup();
    for (const b of [bar(0, false), bar(0), bar(1, false), bar(1), bar(2)]) await broker.publish('bars:1s:MIRU', b);
    await broker.publish('market:MIRU', snapshot(1));
    await broker.publish('market:MIRU', snapshot(2));
    await mirror.start();
    expect(starts()).toEqual([0, 1, 2]);
    expect(mirror.bars.slice('MIRU', '1s', 0, 3)).toEqual([bar(0), bar(1), bar(2)]);
    expect(mirror.state.snapshot('MIRU')).toEqual(snapshot(2));
    // Live: a partial is not kept, a final is; a repeated or older final is kept once.
    for (const b of [bar(3, false), bar(3), bar(3), bar(1), bar(4)]) await broker.publish('bars:1s:MIRU', b);
    await broker.publish('market:MIRU', snapshot(3));
    expect(starts()).toEqual([0, 1, 2, 3, 4]);
    expect(mirror.state.snapshot('MIRU')).toEqual(snapshot(3));
    expect(mirror.ignored).toBe(0);
    await mirror.stop();
    await broker.publish('bars:1s:MIRU', bar(5));
    expect(starts()).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds what arrives during the history read and applies it after, once', async () => {
    // The live channel delivers bars 2 and 3 while the read (which ends at bar 2) is under way.
    const { broker, mirror, starts } = setup((b) => ({
      subscribe: (c) => b.subscribe(c),
      unsubscribe: (c) => b.unsubscribe(c),
      history: async (c, q) => {
        const h = await b.history(c, q);
        if (c.startsWith('bars:')) {
          await b.publish(c, bar(2));
          await b.publish(c, bar(3));
        } else await b.publish(c, snapshot(9));
        return h;
      },
    }));
    for (const b of [bar(0), bar(1), bar(2)]) await broker.publish('bars:1s:MIRU', b);
    await broker.publish('market:MIRU', snapshot(5));
    await mirror.start();
    expect(starts()).toEqual([0, 1, 2, 3]);
    // The snapshot read from history is older than the one received during the read.
    expect(mirror.state.snapshot('MIRU')).toEqual(snapshot(9));
    await mirror.stop();
  });

  it('ignores and counts what is not a bar or snapshot of its channel', async () => {
    const { broker, mirror, starts } = setup();
    await mirror.start();
    await broker.publish('bars:1s:MIRU', { text: 'hello' });
    await broker.publish('bars:1s:MIRU', bar(0, true, 'OTHER'));
    await broker.publish('bars:1s:MIRU', { ...bar(1), close: 'high' });
    await broker.publish('market:MIRU', { ...snapshot(1), symbol: 'OTHER' });
    await broker.publish('bars:1s:MIRU', bar(2));
    expect(mirror.ignored).toBe(4);
    expect(starts()).toEqual([2]);
    expect(mirror.state.has('MIRU')).toBe(false);
    await mirror.stop();
  });

  it('reads the history again when told it lost publications (insufficient state)', async () => {
    const { broker, mirror, box, starts } = setup();
    await mirror.start();
    box.tapped = false;
    for (const b of [bar(0), bar(1)]) await broker.publish('bars:1s:MIRU', b);
    box.tapped = true;
    expect(starts()).toEqual([]);
    mirror.resync('bars:1s:MIRU');
    await expect.poll(starts).toEqual([0, 1]);
    await mirror.stop();
  });

  it('fails start naming the channel it cannot read, and leaves nothing subscribed', async () => {
    const subscribed = new Map<string, number>();
    const { mirror } = setup((b) => ({
      subscribe: async (c) => { subscribed.set(c, (subscribed.get(c) ?? 0) + 1); await b.subscribe(c); },
      unsubscribe: async (c) => { subscribed.set(c, (subscribed.get(c) ?? 0) - 1); await b.unsubscribe(c); },
      history: async (c, q) => {
        if (c.startsWith('market:')) throw new Error('history is down');
        return b.history(c, q);
      },
    }));
    const err = await mirror.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MarketMirrorError);
    expect((err as Error).message).toBe('the market mirror cannot read market:MIRU: history is down');
    expect([...subscribed.values()]).toEqual([0, 0]);
  });
});
