import { LRUCache } from 'lru-cache';
import type { StreamPosition } from '../protocol/index.js';

/**
 * The newest position this node saw of each channel (its own publishes and what PUB/SUB
 * delivered), so that a publish can tell the stream lost writes it had seen: after a failover
 * to a replica that lacked them, the stream's top is behind, and the next offsets would be given
 * twice. Bounded: the channels used longest ago are forgotten (a forgotten channel only loses
 * the check, never a publication).
 */
export class SeenPositions {
  private readonly seen: LRUCache<string, StreamPosition>;

  constructor(maxChannels: number) {
    this.seen = new LRUCache({ max: maxChannels });
  }

  note(channel: string, epoch: string, offset: number): void {
    const s = this.seen.get(channel);
    if (!s || s.epoch !== epoch || offset > s.offset) this.seen.set(channel, { epoch, offset });
  }

  get(channel: string): StreamPosition | undefined {
    return this.seen.get(channel);
  }
}
