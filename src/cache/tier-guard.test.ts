import { describe, expect, it } from 'vitest';
import { CacheError } from './errors.js';
import { MemoryTier } from './memory-tier.js';
import type { CacheTier, TierStats } from './tier.js';
import { TierGuard } from './tier-guard.js';

/** An L1 tier behind a switch: while `down`, every operation fails as a backend that is away would. */
class SwitchedTier implements CacheTier<unknown> {
  readonly name = 'l3' as const;
  down = false;
  calls = 0;
  readonly inner = new MemoryTier({ maxItems: 100, maxBytes: 1 << 20, ttlMs: 60_000, sizeOf: () => 10 });
  private gate<T>(op: () => Promise<T>): Promise<T> {
    this.calls++;
    return this.down ? Promise.reject(new CacheError('TIER_FAILED', 'connection refused', { tier: 'l3' })) : op();
  }
  get(key: string) { return this.gate(() => this.inner.get(key)); }
  getMany(keys: readonly string[]) { return this.gate(() => this.inner.getMany(keys)); }
  set(key: string, value: unknown, ttlMs?: number) { return this.gate(() => this.inner.set(key, value, ttlMs)); }
  delete(key: string) { return this.gate(() => this.inner.delete(key)); }
  clear(prefix: string) { return this.gate(() => this.inner.clear(prefix)); }
  stats(): TierStats { return this.inner.stats(); }
}

describe('TierGuard', () => {
  it('a failure takes the tier down: operations are skipped (not sent) until the backoff, then it comes back after deleting what was written meanwhile', async () => {
    const clock = { t: 0 };
    const tier = new SwitchedTier();
    const events: string[] = [];
    const guard = new TierGuard({ tier, now: () => clock.t, retryMinMs: 100, retryMaxMs: 1_000, onDown: () => events.push('down'), onUp: (_t, keys) => events.push(`up:${String(keys)}`) });
    await guard.write('stale', (t) => t.set('stale', 'old'));
    tier.down = true;
    expect(await guard.read((t) => t.get('stale'))).toEqual({ ok: false });
    expect(guard.stats()).toMatchObject({ up: false, failures: 1, skipped: 0 });
    const sent = tier.calls;
    // While down: nothing is sent, each operation is counted as skipped; the write is remembered.
    expect(await guard.write('stale', (t) => t.set('stale', 'new'))).toBe(false);
    expect(await guard.read((t) => t.get('x'))).toEqual({ ok: false });
    expect(tier.calls).toBe(sent);
    expect(guard.stats()).toMatchObject({ skipped: 2, dirty: 1 });
    // After the backoff one attempt goes through (the repair) and fails: the backoff doubles.
    clock.t = 150;
    await guard.read((t) => t.get('x'));
    await guard.settled();
    expect(guard.stats()).toMatchObject({ up: false, failures: 2 });
    tier.down = false;
    clock.t = 200; // within the doubled backoff (150 + 200)
    await guard.read((t) => t.get('x'));
    await guard.settled();
    expect(guard.isUp).toBe(false);
    clock.t = 400;
    await guard.read((t) => t.get('x'));
    await guard.settled();
    expect(guard.stats()).toMatchObject({ up: true, dirty: 0, recoveries: 1 });
    // The old value written before the outage is gone, not served as if current.
    expect(await tier.inner.get('stale')).toBeUndefined();
    expect(events).toEqual(['down', 'up:stale']);
    expect(await guard.read((t) => t.get('x'))).toEqual({ ok: true, value: undefined });
  });

  it('past maxDirty keys it clears the whole tier when it is back', async () => {
    const clock = { t: 0 };
    const tier = new SwitchedTier();
    const guard = new TierGuard({ tier, now: () => clock.t, retryMinMs: 10, maxDirty: 3 });
    for (let i = 0; i < 5; i++) await tier.inner.set(`k${i}`, i);
    tier.down = true;
    for (let i = 0; i < 5; i++) await guard.write(`k${i}`, (t) => t.set(`k${i}`, -1));
    expect(guard.stats()).toMatchObject({ dirtyOverflow: true, dirty: 0 });
    tier.down = false;
    clock.t = 1_000;
    guard.poke();
    await guard.settled();
    expect(guard.isUp).toBe(true);
    expect(tier.inner.size).toBe(0);
  });

  it('a backend that says it is not connected is skipped without being called', async () => {
    const tier = new SwitchedTier();
    let connected = false;
    const guard = new TierGuard({ tier, available: () => connected });
    expect(await guard.read((t) => t.get('k'))).toEqual({ ok: false });
    expect(tier.calls).toBe(0);
    expect(guard.stats()).toMatchObject({ up: false, skipped: 1 });
    connected = true;
    guard.poke();
    await guard.settled();
    expect(await guard.read((t) => t.get('k'))).toEqual({ ok: true, value: undefined });
  });

  it('errors of the value itself are the caller errors: rethrown, and the tier stays up', async () => {
    const tier = new SwitchedTier();
    const guard = new TierGuard({ tier });
    await expect(guard.write('k', () => Promise.reject(new CacheError('VALUE_TOO_LARGE', 'too big')))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE' });
    expect(guard.stats()).toMatchObject({ up: true, failures: 0, dirty: 0 });
  });
});
