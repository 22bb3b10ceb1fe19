import type { Codec, ClientInfo, Publication, Push } from '../protocol/index.js';

/** The gateway's native pub/sub, as the data plane sees it. */
export interface TopicPort {
  publish(topic: string, message: string | Uint8Array, binary: boolean): void;
  subscriberCount(topic: string): number;
}

/** Where the broker hands publications for local subscribers (and a Redis broker those of other nodes). */
export interface FanoutSink {
  publication(channel: string, pub: Publication): void;
  join(channel: string, info: ClientInfo): void;
  leave(channel: string, info: ClientInfo): void;
}

/** The native topic of a channel for one wire encoding: subscribers of each encoding get their own bytes. */
export function topicOf(codec: Codec, channel: string): string {
  return codec.binary ? `m|${channel}` : `j|${channel}`;
}

/**
 * The data plane: each publication is encoded once per encoding that has subscribers and handed
 * to one native topic publish. No JavaScript runs per subscriber, and nothing waits on a mailbox.
 * It also remembers the newest offset of channels being watched, so a subscribe can tell whether
 * a publication slipped in between its history read and its topic subscribe.
 */
export class Fanout implements FanoutSink {
  private readonly watched = new Map<string, { refs: number; offset: number }>();
  delivered = 0;
  published = 0;

  constructor(private readonly port: TopicPort, private readonly codecs: readonly Codec[]) {}

  publication(channel: string, pub: Publication): void {
    this.published++;
    if (pub.offset !== undefined) {
      const w = this.watched.get(channel);
      if (w && pub.offset > w.offset) w.offset = pub.offset;
    }
    this.push(channel, { channel, pub });
  }

  join(channel: string, info: ClientInfo): void {
    this.push(channel, { channel, join: { info } });
  }

  leave(channel: string, info: ClientInfo): void {
    this.push(channel, { channel, leave: { info } });
  }

  private push(channel: string, push: Push): void {
    for (const codec of this.codecs) {
      const topic = topicOf(codec, channel);
      const n = this.port.subscriberCount(topic);
      if (n === 0) continue;
      this.port.publish(topic, codec.encodeOne({ push }), codec.binary);
      this.delivered += n;
    }
  }

  /** Starts remembering the newest offset of a channel (reference counted). */
  watch(channel: string): void {
    const w = this.watched.get(channel);
    if (w) w.refs++;
    else this.watched.set(channel, { refs: 1, offset: -1 });
  }

  unwatch(channel: string): void {
    const w = this.watched.get(channel);
    if (!w) return;
    if (--w.refs <= 0) this.watched.delete(channel);
  }

  /** The newest offset delivered since watch() began, or -1. */
  lastOffset(channel: string): number {
    return this.watched.get(channel)?.offset ?? -1;
  }

  /** Channels with local subscribers (or subscribes in progress), with their counts. */
  *channels(): IterableIterator<[string, number]> {
    for (const [channel, w] of this.watched) yield [channel, w.refs];
  }

  get channelCount(): number {
    return this.watched.size;
  }
}
