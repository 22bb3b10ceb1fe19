import { type Codec, type ClientInfo, type Publication, type Push, topicPrefix } from '../protocol/index.js';
import { DeltaFanout, type DeltaLimits } from './delta-fanout.js';

/** The gateway's native pub/sub, as the data plane sees it. */
export interface TopicPort {
  publish(topic: string, message: string | Uint8Array, binary: boolean): void;
  subscriberCount(topic: string): number;
  /** Moves every socket waiting on `from` to `to` (a delta subscriber that got its whole publication). */
  promote(from: string, to: string): void;
}

/** Where the broker hands publications for local subscribers (and a Redis broker those of other nodes). */
export interface FanoutSink {
  publication(channel: string, pub: Publication): void;
  join(channel: string, info: ClientInfo): void;
  leave(channel: string, info: ClientInfo): void;
}

export interface FanoutOptions {
  /**
   * Pushes of one channel made in one callback coalesced into one frame; 1 sends every push
   * in a frame of its own. A full batch is sent at once, so a frame never holds more.
   */
  batchMax?: number;
  /**
   * How long held pushes may wait for more of their channel before they go out: 0 sends them
   * when the publishing callback returns (every publication made in one callback shares a frame);
   * N waits up to N ms, so a stream of a few publications per millisecond (a fast replay) shares
   * frames instead of sending one per callback.
   */
  flushMs?: number;
  /**
   * Where an encode that threw is reported: the fan-out runs in a microtask or a timer, where an
   * exception would end the process. Data from outside is checked before it is published
   * (PublicationCheck); this is the defence behind it.
   */
  onError?: (where: string, err: unknown) => void;
  /** Bounds of the previous publications kept for delta subscribers (see DeltaFanout). */
  delta?: DeltaLimits;
}

const DEFAULT_DELTA_LIMITS: DeltaLimits = { maxBaseBytes: 64 * 1024 * 1024, maxBaseChannels: 100_000 };

/** The native topic of a channel for one wire encoding: subscribers of each encoding get their own bytes. */
export function topicOf(codec: Codec, channel: string): string {
  return `${topicPrefix[codec.name]}|${channel}`;
}

/**
 * The data plane: each publication is encoded once per encoding that has subscribers and handed
 * to one native topic publish. No JavaScript runs per subscriber, and nothing waits on a mailbox.
 *
 * Batching: pushes of a channel made in the same callback go out as one frame (the protocol
 * allows several pushes per frame), sent when the callback returns, or up to flushMs later. A socket write costs the same for one message or several, and the write is the
 * bottleneck of fan-out on loopback.
 *
 * It also remembers the newest offset of channels being watched, so a subscribe can tell whether
 * a publication slipped in between its history read and its topic subscribe.
 */
export class Fanout implements FanoutSink {
  private readonly watched = new Map<string, { refs: number; offset: number }>();
  private readonly pending = new Map<string, Push[]>();
  private readonly batchMax: number;
  private readonly flushMs: number;
  private readonly onError: (where: string, err: unknown) => void;
  /** Cancels the pending flush (a microtask, or a timer with flushMs > 0); undefined when none is due. */
  private cancelFlush: (() => void) | undefined;
  /** The delta subscribers' side of every channel. */
  readonly delta: DeltaFanout;
  delivered = 0;
  published = 0;

  constructor(private readonly port: TopicPort, private readonly codecs: readonly Codec[], options: FanoutOptions = {}) {
    this.batchMax = Math.max(1, Math.floor(options.batchMax ?? 1));
    this.flushMs = Math.max(0, options.flushMs ?? 0);
    this.onError = options.onError ?? (() => {});
    this.delta = new DeltaFanout(port, codecs, options.delta ?? DEFAULT_DELTA_LIMITS, this.onError);
  }

  publication(channel: string, pub: Publication): void {
    this.published++;
    const w = this.watched.get(channel);
    // Unwatched means no local subscriber and none on the way (a subscribe watches before it
    // reads history and flushes the channel before its native subscribe), so nobody could
    // receive the push: skip it, and the encoding with it. Most ticks of most symbols take this path.
    if (!w) return;
    if (pub.offset !== undefined && pub.offset > w.offset) w.offset = pub.offset;
    this.push(channel, { channel, pub });
  }

  join(channel: string, info: ClientInfo): void {
    this.push(channel, { channel, join: { info } });
  }

  leave(channel: string, info: ClientInfo): void {
    this.push(channel, { channel, leave: { info } });
  }

  /**
   * Sends a channel's held pushes now. A subscribe calls this right before its native topic
   * subscribe: whatever its history read returned must not reach the new subscriber a second time.
   */
  flushChannel(channel: string): void {
    const pushes = this.pending.get(channel);
    if (!pushes) return;
    this.pending.delete(channel);
    this.send(channel, pushes);
  }

  /** Sends every held push now (on shutdown, and when each publishing callback returns). */
  flush(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
    for (const [channel, pushes] of this.pending) {
      // The flush runs in a microtask or a timer: nothing may escape it, and one channel's
      // failure must not hold back the others.
      try {
        this.send(channel, pushes);
      } catch (err) {
        this.onError('fanout-flush', err);
      }
    }
    this.pending.clear();
  }

  private push(channel: string, push: Push): void {
    if (this.batchMax === 1) {
      this.send(channel, [push]);
      return;
    }
    const held = this.pending.get(channel);
    if (!held) this.pending.set(channel, [push]);
    else {
      held.push(push);
      if (held.length >= this.batchMax) this.flushChannel(channel);
    }
    this.cancelFlush ??= this.scheduleFlush();
  }

  private scheduleFlush(): () => void {
    const run = (): void => {
      this.cancelFlush = undefined;
      this.flush();
    };
    if (this.flushMs === 0) {
      // A microtask, not setImmediate: it runs when the publishing callback returns, so uWS
      // sends the frames in this loop iteration. An immediate runs after uWS's own end-of-
      // iteration drain, and its frames waited for the next one: +80 ms p50 at 10,000 subscribers.
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) run();
      });
      return () => {
        cancelled = true;
      };
    }
    const timer = setTimeout(run, this.flushMs);
    return () => clearTimeout(timer);
  }

  private send(channel: string, pushes: Push[]): void {
    for (const codec of this.codecs) {
      const topic = topicOf(codec, channel);
      const n = this.port.subscriberCount(topic);
      if (n === 0) continue;
      if (this.sendFrame(codec, topic, pushes)) this.delivered += n * pushes.length;
      // A batch whose encode failed goes push by push, so only what cannot be encoded is lost.
      else if (pushes.length > 1) for (const push of pushes) if (this.sendFrame(codec, topic, [push])) this.delivered += n;
    }
    this.delivered += this.delta.send(channel, pushes);
  }

  private sendFrame(codec: Codec, topic: string, pushes: Push[]): boolean {
    let frame: string | Uint8Array;
    try {
      frame = pushes.length === 1 ? codec.encodeOne({ push: pushes[0] as Push }) : codec.encode(pushes.map((push) => ({ push })));
    } catch (err) {
      this.onError(`fanout-encode-${codec.name}`, err);
      return false;
    }
    this.port.publish(topic, frame, codec.binary);
    return true;
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
    if (--w.refs <= 0) {
      this.watched.delete(channel);
      this.delta.forget(channel);
    }
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
