import { PRIORITIES, PRIORITY_LEVEL, type Priority } from './types.js';

interface Entry<T> {
  readonly item: T;
  /** When it was queued plus its level's handicap: the smallest goes first. */
  readonly rank: number;
  readonly queuedAt: number;
  removed: boolean;
}

/** A FIFO of entries: an array with a moving head, compacted once the dead prefix is large. */
class Fifo<T> {
  private items: Entry<T>[] = [];
  private head = 0;

  push(e: Entry<T>): void {
    this.items.push(e);
  }

  /** The first entry not removed, dropping removed ones on the way. */
  peek(): Entry<T> | undefined {
    while (this.head < this.items.length) {
      const e = this.items[this.head] as Entry<T>;
      if (!e.removed) return e;
      this.advance();
    }
    return undefined;
  }

  shift(): Entry<T> | undefined {
    const e = this.peek();
    if (e) this.advance();
    return e;
  }

  private advance(): void {
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Three FIFOs (high, normal, low) with aging: an entry's rank is its queue time plus
 * `agingMs` per level below high, and the head with the smallest rank goes first. So a high task
 * overtakes every normal one queued less than `agingMs` before it, and a low task that has waited
 * long enough goes before newer high ones: nothing starves. Only heads are compared, O(1) a pop.
 * Removal (cancellation) marks the entry; the FIFO drops it when it reaches the head.
 */
export class PriorityQueue<T> {
  private readonly fifos = PRIORITIES.map(() => new Fifo<T>());
  private readonly counts = [0, 0, 0];
  private readonly entries = new Map<T, Entry<T>>();

  constructor(private readonly agingMs: number, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** Queued items by priority. */
  depth(): Record<Priority, number> {
    return { high: this.counts[0] as number, normal: this.counts[1] as number, low: this.counts[2] as number };
  }

  push(item: T, priority: Priority): void {
    const level = PRIORITY_LEVEL[priority];
    const queuedAt = this.now();
    const e: Entry<T> = { item, rank: queuedAt + level * this.agingMs, queuedAt, removed: false };
    this.entries.set(item, e);
    (this.fifos[level] as Fifo<T>).push(e);
    (this.counts[level] as number)++;
  }

  pop(): T | undefined {
    let best = -1;
    let rank = Infinity;
    for (let level = 0; level < 3; level++) {
      const head = (this.fifos[level] as Fifo<T>).peek();
      if (head && head.rank < rank) {
        rank = head.rank;
        best = level;
      }
    }
    if (best < 0) return undefined;
    const e = (this.fifos[best] as Fifo<T>).shift() as Entry<T>;
    this.entries.delete(e.item);
    (this.counts[best] as number)--;
    return e.item;
  }

  /** Takes a queued item out; false when it is not queued. */
  remove(item: T, priority: Priority): boolean {
    const e = this.entries.get(item);
    if (!e) return false;
    e.removed = true;
    this.entries.delete(item);
    (this.counts[PRIORITY_LEVEL[priority]] as number)--;
    return true;
  }

  /** How long the longest-waiting item has waited, ms (0 when empty). */
  oldestWaitMs(): number {
    let oldest = Infinity;
    for (const f of this.fifos) {
      const head = f.peek();
      if (head && head.queuedAt < oldest) oldest = head.queuedAt;
    }
    return oldest === Infinity ? 0 : this.now() - oldest;
  }
}
