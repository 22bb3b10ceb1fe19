/** A socket that waits on a topic for its first whole publication. */
export interface Waiter {
  promote(from: string, to: string): void;
}

/**
 * Delta subscribers waiting for their first whole publication, by wait topic (see DeltaFanout).
 * uWebSockets.js cannot list a topic's sockets, so the gateway keeps them here until the fan-out
 * promotes them. Each entry is one subscription of an open socket: the connection limit times
 * the channels-per-connection limit bounds it, and a socket leaves it when it unsubscribes,
 * closes or is cut as a slow consumer.
 */
export class DeltaWaiters {
  private readonly byTopic = new Map<string, Set<Waiter>>();
  private count = 0;

  add(topic: string, waiter: Waiter): void {
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    if (!set.has(waiter)) {
      set.add(waiter);
      this.count++;
    }
  }

  remove(topic: string, waiter: Waiter): void {
    const set = this.byTopic.get(topic);
    if (!set?.delete(waiter)) return;
    this.count--;
    if (set.size === 0) this.byTopic.delete(topic);
  }

  /** Moves every waiter of `from` to `to`; they leave the registry. */
  promote(from: string, to: string): void {
    const set = this.byTopic.get(from);
    if (!set) return;
    this.byTopic.delete(from);
    this.count -= set.size;
    for (const w of set) w.promote(from, to);
  }

  /** Subscriptions waiting now. */
  get size(): number {
    return this.count;
  }
}
