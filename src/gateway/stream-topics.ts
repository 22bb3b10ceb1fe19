import type { TopicPort } from '../broker/index.js';
import type { StreamSession } from './stream-session.js';
import { StreamFrame } from './stream-chunk.js';
import { DeltaWaiters } from './delta-waiters.js';
import type { StreamWrites } from './stream-writes.js';

/**
 * Topics of the stream sessions (HTTP-streaming, SSE, uni). A uWS topic takes WebSockets only,
 * so these subscribers are held here and written one by one; the frame is still encoded once per
 * encoding by the fan-out and framed into bytes once per kind of session (StreamFrame); a fossil
 * delta frame likewise, the same one the WebSocket delta topics get. Bounded by sessions x channels
 * (SUPERNOVA_STREAM_MAX_SESSIONS, SUPERNOVA_MAX_CHANNELS).
 *
 * The writes are made by StreamWrites, after the publishing callback; who receives a frame is
 * decided when it is published, as with a native topic: a session subscribing in between (whose
 * history read may already hold the publication) does not get it a second time.
 */
export class StreamTopics {
  private readonly topics = new Map<string, Set<StreamSession>>();
  /** Delta subscriptions of stream sessions waiting for their first whole publication (see DeltaFanout). */
  readonly waiters = new DeltaWaiters();

  constructor(private readonly writes: StreamWrites) {}

  add(topic: string, session: StreamSession): void {
    const set = this.topics.get(topic);
    if (set) set.add(session);
    else this.topics.set(topic, new Set([session]));
  }

  remove(topic: string, session: StreamSession): void {
    const set = this.topics.get(topic);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.topics.delete(topic);
  }

  count(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  get size(): number {
    return this.topics.size;
  }

  publish(topic: string, frame: string | Uint8Array): void {
    const set = this.topics.get(topic);
    if (!set) return;
    const framed = new StreamFrame(frame);
    const recipients = [...set];
    this.writes.run(() => {
      for (const session of recipients) session.deliver(framed);
    }, recipients.length, frame.length);
  }
}

/** The fan-out's port: native WebSocket topics and the stream sessions' topics together. */
export function withStreamTopics(native: TopicPort, streams: StreamTopics): TopicPort {
  return {
    publish: (topic, message, binary) => {
      native.publish(topic, message, binary);
      streams.publish(topic, message);
    },
    subscriberCount: (topic) => native.subscriberCount(topic) + streams.count(topic),
    // The fan-out has written the wait topic's whole frame to both kinds of subscriber.
    promote: (from, to) => {
      native.promote(from, to);
      streams.waiters.promote(from, to);
    },
  };
}
