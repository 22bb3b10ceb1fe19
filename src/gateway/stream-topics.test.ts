import { describe, expect, it } from 'vitest';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { StreamTopics } from './stream-topics.js';
import { StreamWrites } from './stream-writes.js';
import type { StreamFrame } from './stream-chunk.js';
import type { StreamSession } from './stream-session.js';

/** The part of a session StreamTopics drives: what it was delivered, as the SSE bytes. */
function reader(name: string, got: string[]): StreamSession {
  return { kind: 'sse', deliver: (frame: StreamFrame) => got.push(`${name} ${Buffer.from(frame.for('sse')).toString().trim()}`) } as unknown as StreamSession;
}

describe('StreamTopics', () => {
  const setup = () => {
    const writes = new StreamWrites({ maxWrites: 1000, maxBytes: 1 << 20, onError: (_w, err) => { throw err; } });
    return { topics: new StreamTopics(writes), writes };
  };

  it('delivers a frame to the sessions subscribed when it was published, after the callback', async () => {
    const { topics } = setup();
    const got: string[] = [];
    const early = reader('early', got);
    const late = reader('late', got);
    const gone = reader('gone', got);
    topics.add('t', early);
    topics.add('t', gone);
    topics.publish('t', 'one');
    // Subscribed after the publication (its history read would hold it): it must not get it again.
    topics.add('t', late);
    // Left after: the frame was already its, as a WebSocket would have had it.
    topics.remove('t', gone);
    topics.publish('t', 'two');
    expect(got).toEqual([]);
    await nextTurn();
    expect(got).toEqual(['early data: one', 'gone data: one', 'early data: two', 'late data: two']);
  });

  it('holds nothing for a topic nobody reads, and forgets empty topics', async () => {
    const { topics, writes } = setup();
    const got: string[] = [];
    const s = reader('s', got);
    topics.publish('nobody', 'x');
    topics.add('t', s);
    topics.remove('t', s);
    expect(topics.size).toBe(0);
    await nextTurn();
    expect(got).toEqual([]);
    expect(writes.stats().deferred).toBe(0);
  });
});
