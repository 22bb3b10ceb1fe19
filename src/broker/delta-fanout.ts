import { LRUCache } from 'lru-cache';
import { type Codec, type Push, carriesDelta, dataBytes, deltaPublication, fossilPatch, topicPrefix } from '../protocol/index.js';
import type { TopicPort } from './fanout.js';

export interface DeltaLimits {
  /** Bytes the previous publications of all delta channels may hold together. */
  maxBaseBytes: number;
  /** Channels whose previous publication is kept. */
  maxBaseChannels: number;
}

/**
 * The native topics of a channel's delta subscribers for one encoding: `wait` holds those that
 * joined since the last publication (they need one whole publication first), `delta` those that
 * hold the previous publication and can apply a delta to it.
 */
export function deltaTopicOf(codec: Codec, channel: string, stage: 'wait' | 'delta'): string {
  return `${topicPrefix[codec.name]}${stage === 'wait' ? 'w' : 'd'}|${channel}`;
}

/** What happened to the publications sent to delta subscribers, for metrics. */
export interface DeltaStats {
  /** Publications sent as a delta to the delta topic. */
  deltas: number;
  /** Publications sent whole to the delta topic (no base, or the delta was not smaller). */
  wholes: number;
  /** Bases dropped to stay within the limits; the channel's next publication goes whole. */
  evictions: number;
}

/**
 * Fossil deltas for a channel's delta subscribers, computed once per publication and shared by
 * every subscriber and every encoding (JSON and protobuf diff the same bytes, the data's JSON
 * text), then encoded once per encoding into one native topic publish.
 *
 * A subscriber's first publication must be whole: it does not hold the base the delta is made
 * against. So a new delta subscriber joins the `wait` topic; each frame with a publication goes
 * whole to `wait` and as deltas to `delta`, and then the gateway moves every waiting socket from
 * `wait` to `delta` (TopicPort.promote). uWebSockets.js fixes a topic publish's recipients when
 * it is called, so a moved socket gets exactly the whole frame, then the next frame's deltas
 * against it. The move costs JavaScript once per subscription, never per publication.
 *
 * The base of a channel is the data of its last publication sent, kept while the channel has
 * delta subscribers, in an LRU bounded in channels and bytes. A channel without a base (evicted,
 * or an encode failed and the chain is broken) sends its next publication whole to everyone,
 * which resets every subscriber's chain: centrifuge-js takes a publication without `delta` as the
 * new base.
 */
export class DeltaFanout {
  private readonly bases: LRUCache<string, Buffer>;
  private readonly codecs: readonly Codec[];
  readonly stats: DeltaStats = { deltas: 0, wholes: 0, evictions: 0 };

  constructor(
    private readonly port: TopicPort,
    codecs: readonly Codec[],
    limits: DeltaLimits,
    private readonly onError: (where: string, err: unknown) => void,
  ) {
    this.codecs = codecs.filter(carriesDelta);
    this.bases = new LRUCache<string, Buffer>({
      max: Math.max(1, limits.maxBaseChannels),
      maxSize: Math.max(1, limits.maxBaseBytes),
      sizeCalculation: (b) => Math.max(1, b.length),
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') this.stats.evictions++;
      },
    });
  }

  /** Sends a channel's pushes to its delta subscribers; returns the deliveries (subscribers x pushes). */
  send(channel: string, pushes: readonly Push[]): number {
    const targets: { codec: Codec; delta: string; wait: string; nDelta: number; nWait: number }[] = [];
    for (const codec of this.codecs) {
      const delta = deltaTopicOf(codec, channel, 'delta');
      const wait = deltaTopicOf(codec, channel, 'wait');
      const nDelta = this.port.subscriberCount(delta);
      const nWait = this.port.subscriberCount(wait);
      if (nDelta + nWait > 0) targets.push({ codec, delta, wait, nDelta, nWait });
    }
    if (targets.length === 0) {
      this.bases.delete(channel);
      return 0;
    }
    // The one diff per publication, before any encoding.
    let base = this.bases.get(channel);
    let parts: ({ whole: Buffer; patch: Buffer | undefined } | undefined)[];
    try {
      parts = pushes.map((push) => {
        if (!('pub' in push)) return undefined;
        const whole = dataBytes(push.pub.data);
        const patch = base === undefined ? undefined : fossilPatch(base, whole);
        base = whole;
        return { whole, patch };
      });
    } catch (err) {
      // Runs inside a publish or a flush, where nothing may escape; the chain restarts whole.
      this.onError('fanout-delta', err);
      this.bases.delete(channel);
      return 0;
    }
    const hasPub = parts.some((p) => p !== undefined);
    if (hasPub && base !== undefined) this.bases.set(channel, base);
    let delivered = 0;
    for (const t of targets) {
      if (t.nDelta > 0) {
        const frame = this.encode(t.codec, pushes, (push, i) => {
          const part = parts[i];
          if (!part || !('pub' in push)) return push;
          const pub = deltaPublication(t.codec, push.pub, part.whole, part.patch);
          if (pub.delta) this.stats.deltas++;
          else this.stats.wholes++;
          return { channel: push.channel, pub };
        });
        if (frame === undefined) this.bases.delete(channel); // the delta chain is broken: the next one goes whole
        else {
          this.port.publish(t.delta, frame, t.codec.binary);
          delivered += t.nDelta * pushes.length;
        }
      }
      if (t.nWait > 0) {
        const frame = this.encode(t.codec, pushes, (push, i) => {
          const part = parts[i];
          return part && 'pub' in push ? { channel: push.channel, pub: deltaPublication(t.codec, push.pub, part.whole, undefined) } : push;
        });
        if (frame !== undefined) {
          this.port.publish(t.wait, frame, t.codec.binary);
          delivered += t.nWait * pushes.length;
          // Only a publication makes a base: a frame of joins and leaves leaves them waiting.
          if (hasPub) this.port.promote(t.wait, t.delta);
        }
      }
    }
    return delivered;
  }

  /** Forgets a channel's base (its last local subscriber left). */
  forget(channel: string): void {
    this.bases.delete(channel);
  }

  /** Bytes of bases held now. */
  get baseBytes(): number {
    return this.bases.calculatedSize;
  }

  private encode(codec: Codec, pushes: readonly Push[], map: (push: Push, i: number) => Push): string | Uint8Array | undefined {
    try {
      const out = pushes.map(map);
      return out.length === 1 ? codec.encodeOne({ push: out[0] as Push }) : codec.encode(out.map((push) => ({ push })));
    } catch (err) {
      this.onError(`fanout-delta-encode-${codec.name}`, err);
      return undefined;
    }
  }
}
