import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Fanout, topicOf, type TopicPort } from './fanout.js';
import { jsonCodec, msgpackCodec, protobufCodec, wireCodecs } from '../protocol/index.js';

/** A native pub/sub stand-in that records frames and reports fixed subscriber counts. */
function recordingPort(counts: Record<string, number>) {
  const frames: { topic: string; message: string | Uint8Array }[] = [];
  const port: TopicPort = {
    publish: (topic, message) => void frames.push({ topic, message }),
    subscriberCount: (topic) => counts[topic] ?? 0,
    promote: () => {},
  };
  return { port, frames };
}

const pub = (offset: number) => ({ data: { n: offset }, offset });

describe('fanout batching', () => {
  it('sends the pushes of one channel made in one callback as one frame, in order, as the callback returns', async () => {
    const { port, frames } = recordingPort({ 'j|ch': 3 });
    const fanout = new Fanout(port, [jsonCodec, msgpackCodec], { batchMax: 16 });
    fanout.watch('ch');
    for (let i = 1; i <= 3; i++) fanout.publication('ch', pub(i));
    expect(frames).toHaveLength(0);
    // The flush is a microtask: out before any timer, immediate or I/O callback of this loop.
    await null;
    expect(frames).toHaveLength(1);
    const lines = jsonCodec.decode(new TextEncoder().encode(frames[0]?.message as string));
    expect(lines).toEqual([1, 2, 3].map((i) => ({ push: { channel: 'ch', pub: pub(i) } })));
    expect(fanout.delivered).toBe(9);
    fanout.publication('ch', pub(4));
    await nextTurn();
    expect(frames).toHaveLength(2);
  });

  it('never puts more than batchMax pushes in a frame', async () => {
    const { port, frames } = recordingPort({ 'm|ch': 1 });
    const fanout = new Fanout(port, [jsonCodec, msgpackCodec], { batchMax: 4 });
    fanout.watch('ch');
    for (let i = 1; i <= 10; i++) fanout.publication('ch', pub(i));
    await nextTurn();
    const sizes = frames.map((f) => msgpackCodec.decode(f.message as Uint8Array).length);
    expect(sizes).toEqual([4, 4, 2]);
    const offsets = frames.flatMap((f) => msgpackCodec.decode(f.message as Uint8Array)).map((m) => (m as { push: { pub: { offset: number } } }).push.pub.offset);
    expect(offsets).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('flushChannel sends a channel at once, before a subscriber joins its topic', () => {
    const { port, frames } = recordingPort({ 'j|a': 1, 'j|b': 1 });
    const fanout = new Fanout(port, [jsonCodec], { batchMax: 16 });
    fanout.watch('a');
    fanout.watch('b');
    fanout.publication('a', pub(1));
    fanout.publication('b', pub(1));
    fanout.flushChannel('a');
    expect(frames.map((f) => f.topic)).toEqual(['j|a']);
    fanout.flush();
    expect(frames.map((f) => f.topic)).toEqual(['j|a', 'j|b']);
  });

  it('with flushMs, pushes of several turns share a frame sent when the wait is over', async () => {
    const { port, frames } = recordingPort({ 'j|ch': 1 });
    const fanout = new Fanout(port, [jsonCodec], { batchMax: 16, flushMs: 30 });
    fanout.watch('ch');
    const started = performance.now();
    fanout.publication('ch', pub(1));
    await nextTurn();
    fanout.publication('ch', pub(2));
    await nextTurn();
    expect(frames).toHaveLength(0);
    while (frames.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(jsonCodec.decode(new TextEncoder().encode(frames[0]?.message as string))).toEqual([1, 2].map((i) => ({ push: { channel: 'ch', pub: pub(i) } })));
    fanout.publication('ch', pub(3));
    fanout.flush();
    expect(frames).toHaveLength(2);
  });

  it('with batchMax 1 every push is its own frame, sent synchronously', () => {
    const { port, frames } = recordingPort({ 'j|ch': 2 });
    const fanout = new Fanout(port, [jsonCodec], { batchMax: 1 });
    fanout.watch('ch');
    fanout.publication('ch', pub(1));
    fanout.join('ch', { client: 'c', user: 'u' });
    expect(frames.map((f) => JSON.parse(f.message as string))).toEqual([
      { push: { channel: 'ch', pub: pub(1) } },
      { push: { channel: 'ch', join: { info: { client: 'c', user: 'u' } } } },
    ]);
  });

  it('encodes nothing for an encoding without subscribers', async () => {
    const { port, frames } = recordingPort({});
    const fanout = new Fanout(port, [jsonCodec, msgpackCodec], { batchMax: 16 });
    fanout.watch('ch');
    fanout.publication('ch', pub(1));
    await nextTurn();
    expect(frames).toHaveLength(0);
    expect(fanout.delivered).toBe(0);
  });

  it('holds no push for a channel nobody watches (no subscriber, none subscribing)', async () => {
    const { port, frames } = recordingPort({ 'j|ch': 1 });
    const fanout = new Fanout(port, [jsonCodec], { batchMax: 16 });
    fanout.publication('ch', pub(1));
    fanout.flushChannel('ch');
    await nextTurn();
    expect(frames).toHaveLength(0);
    expect(fanout.published).toBe(1);
    fanout.watch('ch');
    fanout.publication('ch', pub(2));
    await nextTurn();
    expect(frames.map((f) => JSON.parse(f.message as string))).toEqual([{ push: { channel: 'ch', pub: pub(2) } }]);
  });
});

describe('fanout encodings', () => {
  it('encodes once per encoding that has subscribers: a JSON-only channel never pays for protobuf', async () => {
    let protobufEncodes = 0;
    const counting = { ...protobufCodec, encodeOne: (m: Parameters<typeof protobufCodec.encodeOne>[0]) => { protobufEncodes++; return protobufCodec.encodeOne(m); } };
    const { port, frames } = recordingPort({ 'j|json-only': 5000, 'j|mixed': 2, 'p|mixed': 3000 });
    const fanout = new Fanout(port, [jsonCodec, msgpackCodec, counting], { batchMax: 1 });
    fanout.watch('json-only');
    fanout.watch('mixed');
    fanout.publication('json-only', pub(1));
    expect(protobufEncodes).toBe(0);
    expect(frames.map((f) => f.topic)).toEqual(['j|json-only']);
    fanout.publication('mixed', pub(2));
    expect(protobufEncodes).toBe(1);
    expect(frames.map((f) => f.topic)).toEqual(['j|json-only', 'j|mixed', 'p|mixed']);
    expect(fanout.delivered).toBe(5000 + 2 + 3000);
    await nextTurn();
  });

  it('every wire encoding has a native topic of its own', () => {
    expect(wireCodecs.map((c) => topicOf(c, 'ch'))).toEqual(['j|ch', 'm|ch', 'p|ch']);
  });
});

