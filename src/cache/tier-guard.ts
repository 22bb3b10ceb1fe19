import { CacheError, messageOf } from './errors.js';
import type { CacheTier, TierName } from './tier.js';

export interface TierGuardOptions<V> {
  tier: CacheTier<V>;
  /** Whether the backend can take a command now (Redis: the connection is ready); default always. */
  available?: () => boolean;
  /** First and longest wait before a tier that failed is tried again. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Keys whose write was skipped, remembered at most; beyond it the whole tier is cleared on recovery. */
  maxDirty?: number;
  now?: () => number;
  /** The tier just went down (first failure), or came back and was repaired. */
  onDown?: (tier: TierName, err: CacheError) => void;
  onUp?: (tier: TierName, repaired: readonly string[] | 'all') => void;
}

/** What /performance/metrics/cache and the health probe show of a guarded tier. */
export interface GuardStats {
  up: boolean;
  /** Operations not sent because the tier was down. */
  skipped: number;
  /** Operations sent that failed (each opens the guard). */
  failures: number;
  /** Times it came back (after the keys written while it was down were deleted from it, or it was cleared). */
  recoveries: number;
  /** Keys waiting to be deleted when the tier is back. */
  dirty: number;
  /** Whether more keys than maxDirty were missed, so the tier is cleared whole when back. */
  dirtyOverflow: boolean;
  lastError?: string;
  /** Date.now() of the failure that took it down. */
  downSince?: number;
}

/** The outcome of a guarded read: a value (or a miss), or nothing because the tier was skipped or failed. */
export type Guarded<T> = { ok: true; value: T } | { ok: false };

const SKIPPED: Guarded<never> = { ok: false };

/**
 * A circuit around a tier outside the process. A failure takes the tier down: its operations
 * are skipped (counted) rather than each waiting for a timeout, and after a backoff one
 * operation goes through as a probe. A write or delete that is skipped or fails leaves the
 * tier possibly holding an older value, so its key is remembered; before the tier is used
 * again those keys are deleted from it (all of it cleared past maxDirty). Deleting is always
 * safe for a cache: the next read loads the value anew.
 */
export class TierGuard<V> {
  readonly tier: CacheTier<V>;
  private readonly available: () => boolean;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly maxDirty: number;
  private readonly now: () => number;
  private up = true;
  private backoffMs: number;
  private retryAt = 0;
  private readonly dirty = new Set<string>();
  private dirtyOverflow = false;
  private repairing: Promise<void> | undefined;
  private readonly counts = { skipped: 0, failures: 0, recoveries: 0 };
  private lastError: string | undefined;
  private downSince: number | undefined;

  constructor(private readonly o: TierGuardOptions<V>) {
    this.tier = o.tier;
    this.available = o.available ?? (() => true);
    this.retryMinMs = o.retryMinMs ?? 250;
    this.retryMaxMs = o.retryMaxMs ?? 5_000;
    this.maxDirty = o.maxDirty ?? 10_000;
    this.now = o.now ?? (() => performance.now());
    this.backoffMs = this.retryMinMs;
  }

  get isUp(): boolean {
    return this.up && this.available();
  }

  /** A read, or SKIPPED (counted) when the tier is down or the read fails. */
  async read<T>(op: (tier: CacheTier<V>) => Promise<T>): Promise<Guarded<T>> {
    if (!this.mayTry()) return this.skip();
    try {
      const value = await op(this.tier);
      this.succeeded();
      return { ok: true, value };
    } catch (err) {
      this.failed(err);
      return SKIPPED;
    }
  }

  /**
   * A write or delete of `key` (a prefix clear passes 'all'). False when it was skipped or
   * failed: the key is then repaired when the tier is back. Errors of the value itself (too
   * large, not encodable) are the caller's and rethrown.
   */
  async write(key: string | 'all', op: (tier: CacheTier<V>) => Promise<unknown>): Promise<boolean> {
    if (!this.mayTry()) {
      this.remember(key);
      this.skip();
      return false;
    }
    try {
      await op(this.tier);
      this.succeeded();
      return true;
    } catch (err) {
      // The value's own fault: the tier was not touched, and is not down.
      if (err instanceof CacheError && (err.code === 'VALUE_TOO_LARGE' || err.code === 'ENCODE_FAILED')) throw err;
      this.remember(key);
      this.failed(err);
      return false;
    }
  }

  /** Tells the guard the backend is reachable again (Redis 'ready'): repairs and comes up without waiting for the next probe. */
  poke(): void {
    if (this.up) return;
    this.retryAt = 0;
    void this.repair();
  }

  /** Waits for a repair in progress. */
  async settled(): Promise<void> {
    await this.repairing;
  }

  stats(): GuardStats {
    const s: GuardStats = { up: this.isUp, ...this.counts, dirty: this.dirty.size, dirtyOverflow: this.dirtyOverflow };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    if (!this.isUp && this.downSince !== undefined) s.downSince = this.downSince;
    return s;
  }

  /** Up: go. Down: only once the backoff has passed, and then through a repair (which is the probe). */
  private mayTry(): boolean {
    if (!this.available()) {
      if (this.up) this.failed(new CacheError('TIER_UNAVAILABLE', `${this.tier.name} is not connected`, { tier: this.tier.name }));
      return false;
    }
    if (this.up) return true;
    if (this.now() >= this.retryAt) void this.repair();
    return false;
  }

  private skip(): Guarded<never> {
    this.counts.skipped++;
    return SKIPPED;
  }

  private remember(key: string | 'all'): void {
    if (key === 'all' || this.dirty.size >= this.maxDirty) {
      this.dirtyOverflow = true;
      this.dirty.clear();
    } else if (!this.dirtyOverflow) {
      this.dirty.add(key);
    }
  }

  private succeeded(): void {
    this.backoffMs = this.retryMinMs;
  }

  private failed(err: unknown): void {
    this.counts.failures++;
    const wrapped = err instanceof CacheError ? err : new CacheError('TIER_FAILED', messageOf(err), { cause: err, tier: this.tier.name });
    this.lastError = wrapped.message;
    this.retryAt = this.now() + this.backoffMs;
    this.backoffMs = Math.min(this.retryMaxMs, this.backoffMs * 2);
    if (!this.up) return;
    this.up = false;
    this.downSince = Date.now();
    this.o.onDown?.(this.tier.name, wrapped);
  }

  /** Deletes what was written while down; on success the tier is up again. One repair at a time. */
  private repair(): Promise<void> {
    this.repairing ??= this.runRepair().finally(() => {
      this.repairing = undefined;
    });
    return this.repairing;
  }

  private async runRepair(): Promise<void> {
    // Keys missed during the repair itself are repaired too, before the tier is used.
    for (let round = 0; round < 10 && this.available(); round++) {
      const all = this.dirtyOverflow;
      const keys = [...this.dirty];
      try {
        if (all) await this.tier.clear('');
        else for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => this.tier.delete(k)));
      } catch (err) {
        this.failed(err);
        return;
      }
      if (all) this.dirtyOverflow = false;
      for (const k of keys) this.dirty.delete(k);
      if (!this.dirtyOverflow && this.dirty.size === 0) {
        if (!this.up) this.counts.recoveries++;
        this.up = true;
        this.backoffMs = this.retryMinMs;
        this.o.onUp?.(this.tier.name, all ? 'all' : keys);
        return;
      }
    }
  }
}
