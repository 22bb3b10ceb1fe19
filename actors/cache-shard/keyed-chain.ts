/**
 * Runs the operations of one key one after the other, in the order they were queued, while
 * those of different keys run at once: a fill of a loaded value cannot land in Redis after
 * a `set` of the same key that was asked for later. Bounded: `run` refuses past `max` queued
 * operations over all keys.
 */
export class KeyedChain {
  private readonly tails = new Map<string, Promise<void>>();
  private queued = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.queued;
  }

  get full(): boolean {
    return this.queued >= this.max;
  }

  /** Queues `op` after the key's earlier ones; undefined (nothing queued) when full. Never rejects. */
  run(key: string, op: () => Promise<unknown>): Promise<void> | undefined {
    if (this.full) return undefined;
    this.queued++;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(op).then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.queued--;
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    this.tails.set(key, next);
    return next;
  }

  /** Resolves once everything queued now has run. */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
