import { describe, expect, it } from 'vitest';
import { applyDelta } from 'fossil-delta';
import { DeltaFanout, deltaTopicOf } from './delta-fanout.js';
import type { TopicPort } from './fanout.js';
import { jsonCodec, protobufCodec, wireCodecs, type Push } from '../protocol/index.js';
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { ReplySchema } from '../protocol/gen/client_pb.js';

/** Native topics by hand: counts that follow promote(), and the frames each topic got. */
function topics(initial: Record<string, number>) {
  const counts: Record<string, number> = { ...initial };
  const frames: { topic: string; message: string | Uint8Array }[] = [];
  const promotions: [string, string][] = [];
  const port: TopicPort = {
    publish: (topic, message) => void frames.push({ topic, message }),
    subscriberCount: (topic) => counts[topic] ?? 0,
    promote: (from, to) => {
      promotions.push([from, to]);
      counts[to] = (counts[to] ?? 0) + (counts[from] ?? 0);
      counts[from] = 0;
    },
  };
  return { port, frames, promotions, counts };
}

const ch = 'market:T';
const jw = deltaTopicOf(jsonCodec, ch, 'wait');
const jd = deltaTopicOf(jsonCodec, ch, 'delta');
const pd = deltaTopicOf(protobufCodec, ch, 'delta');
const snap = (i: number) => ({ symbol: 'T', name: 'Test Corporation Holdings', last: 100 + i / 100, open: 100, high: 101, low: 99, volume: 1000 + i, ts: 1_764_000_000_000 + i });
const pubPush = (i: number): Push => ({ channel: ch, pub: { data: snap(i), offset: i + 1 } });
const jsonPubs = (m: string | Uint8Array) => String(m).split('\n').map((l) => (JSON.parse(l) as { push: { pub?: { data: string; delta?: boolean } } }).push.pub);
const noErrors = (where: string, err: unknown) => { throw new Error(`${where}: ${String(err)}`); };

describe('delta fan-out', () => {
  it('a waiting subscriber gets the publication whole (data as a JSON string) and is promoted; the delta topic gets deltas it can apply', () => {
    const t = topics({ [jw]: 1 });
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, noErrors);
    d.send(ch, [pubPush(0)]);
    expect(t.frames.map((f) => f.topic)).toEqual([jw]);
    const first = jsonPubs(t.frames[0]!.message)[0]!;
    expect(first.delta).toBeUndefined();
    expect(JSON.parse(first.data)).toEqual(snap(0));
    expect(t.promotions).toEqual([[jw, jd]]);
    let held = new TextEncoder().encode(first.data);
    for (let i = 1; i < 10; i++) {
      d.send(ch, [pubPush(i)]);
      const pub = jsonPubs(t.frames.at(-1)!.message)[0]!;
      expect(t.frames.at(-1)!.topic).toBe(jd);
      expect(pub.delta).toBe(true);
      expect(pub.data.length).toBeLessThan(JSON.stringify(snap(i)).length);
      held = applyDelta(held, new TextEncoder().encode(pub.data));
      expect(JSON.parse(new TextDecoder().decode(held))).toEqual(snap(i));
    }
    expect(d.stats).toMatchObject({ deltas: 9, wholes: 0 });
  });

  it('a frame of a batch diffs each publication against the one before it; a frame of joins alone promotes nobody', () => {
    const t = topics({ [jd]: 2, [jw]: 1 });
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, noErrors);
    d.send(ch, [{ channel: ch, join: { info: { client: 'c', user: 'u' } } }]);
    expect(t.promotions).toEqual([]);
    d.send(ch, [pubPush(0), pubPush(1), pubPush(2)]);
    const toDelta = t.frames.filter((f) => f.topic === jd).at(-1)!;
    // No base yet: the first goes whole to the delta topic too, then deltas.
    expect(jsonPubs(toDelta.message).map((p) => p?.delta === true)).toEqual([false, true, true]);
    const toWait = t.frames.filter((f) => f.topic === jw).at(-1)!;
    expect(jsonPubs(toWait.message).map((p) => p?.delta === true)).toEqual([false, false, false]);
    expect(t.promotions).toEqual([[jw, jd]]);
  });

  it('protobuf subscribers share the same diff, as bytes with delta = true', () => {
    const t = topics({ [pd]: 1, [jd]: 1 });
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, noErrors);
    d.send(ch, [pubPush(0)]);
    d.send(ch, [pubPush(1)]);
    const pb = t.frames.filter((f) => f.topic === pd).map((f) => fromBinary(ReplySchema, new BinaryReader(f.message as Uint8Array).bytes()).push!.pub!);
    expect(pb.map((p) => p.delta)).toEqual([false, true]);
    const js = jsonPubs(t.frames.filter((f) => f.topic === jd)[1]!.message)[0]!;
    expect(Buffer.from(pb[1]!.data).toString('utf8')).toBe(js.data);
    expect(JSON.parse(Buffer.from(applyDelta(pb[0]!.data, pb[1]!.data)).toString())).toEqual(snap(1));
  });

  it('a patch that cuts a UTF-8 character goes whole to JSON, where centrifuge-js reads it as text, and as a delta to protobuf', () => {
    const t = topics({ [pd]: 1, [jd]: 1 });
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, noErrors);
    const pad = 'x'.repeat(64);
    // é is C3 A9 and è is C3 A8: the patch's literal starts at the second byte, alone invalid UTF-8.
    d.send(ch, [{ channel: ch, pub: { data: { s: `${pad}é${pad}` } } }]);
    d.send(ch, [{ channel: ch, pub: { data: { s: `${pad}è${pad}` } } }]);
    const js = jsonPubs(t.frames.filter((f) => f.topic === jd)[1]!.message)[0]!;
    expect(js.delta).toBeUndefined();
    expect(JSON.parse(js.data)).toEqual({ s: `${pad}è${pad}` });
    const pb = fromBinary(ReplySchema, new BinaryReader(t.frames.filter((f) => f.topic === pd)[1]!.message as Uint8Array).bytes()).push!.pub!;
    expect(pb.delta).toBe(true);
  });

  it('bases are bounded: an evicted channel sends its next publication whole, and the eviction is counted', () => {
    const other = 'market:U';
    const t = topics({ [jd]: 1, [deltaTopicOf(jsonCodec, other, 'delta')]: 1 });
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 1 }, noErrors);
    d.send(ch, [pubPush(0)]);
    d.send(other, [{ channel: other, pub: { data: snap(0) } }]);
    d.send(ch, [pubPush(1)]);
    expect(jsonPubs(t.frames.at(-1)!.message)[0]!.delta).toBeUndefined();
    expect(d.stats.evictions).toBeGreaterThanOrEqual(1);
    expect(d.baseBytes).toBeLessThanOrEqual(JSON.stringify(snap(1)).length);
  });

  it('data that cannot be diffed is reported, never thrown, and the chain restarts whole', () => {
    const t = topics({ [jd]: 1 });
    const errors: string[] = [];
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, (where) => errors.push(where));
    d.send(ch, [pubPush(0)]);
    expect(d.send(ch, [{ channel: ch, pub: { data: { n: 10n } } }])).toBe(0);
    expect(errors).toEqual(['fanout-delta']);
    d.send(ch, [pubPush(2)]);
    expect(jsonPubs(t.frames.at(-1)!.message)[0]!.delta).toBeUndefined();
  });

  it('a channel without delta subscribers keeps no base and publishes nothing', () => {
    const t = topics({});
    const d = new DeltaFanout(t.port, wireCodecs, { maxBaseBytes: 1 << 20, maxBaseChannels: 10 }, noErrors);
    expect(d.send(ch, [pubPush(0)])).toBe(0);
    expect(t.frames).toEqual([]);
    expect(d.baseBytes).toBe(0);
  });
});
