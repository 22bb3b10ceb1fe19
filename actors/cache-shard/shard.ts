import { CacheError, MemoryTier, messageOf, type CacheLatency, type TierGuard, type ValueCodec } from '../../src/cache/index.js';
import { ask, type ActorRef, type Supervisor } from '../runtime/index.js';
import { KeyedChain } from './keyed-chain.js';
import type { Flight, Landing, Loader, Settled, ShardMsg } from './messages.js';

/** What every shard of one cache shares: the tiers beyond L1, the codec and the limits. */
export interface ShardContext {
  l2: TierGuard<unknown> | undefined;
  l3: TierGuard<unknown> | undefined;
  codec: ValueCodec;
  latency: CacheLatency;
  /** This shard's slice of L1. */
  l1: { maxItems: number; maxBytes: number; ttlMs: number; now?: () => number };
  maxEntryBytes: number;
  /** Requests waiting in the shard (gets joined to a lookup, queued writes) and its mailbox, at most. */
  maxPending: number;
  /** How long a loader may run before its waiters get TIMEOUT (it may still finish; its value is then dropped). */
  loadTimeoutMs: number;
}

/** What a shard's actor owns; a crash resets it to a fresh, empty one. */
export interface ShardState {
  readonly l1: MemoryTier;
  readonly flights: Map<string, Flight>;
  /** Gets waiting on a flight. */
  waiting: number;
}

export interface ShardCounts {
  /** Gets answered from each place (a joined get counts where its flight's value came from). */
  fromL1: number;
  fromL2: number;
  fromL3: number;
  fromLoad: number;
  loads: number;
  loadErrors: number;
  loadTimeouts: number;
  /** Gets that found a lookup of their key under way and waited for it instead of starting another. */
  joined: number;
  /** Requests refused because SUPERNOVA_CACHE_MAX_PENDING were already waiting. */
  overloaded: number;
  /** Loaded values that are not kept: msgpack cannot carry them, or they are over the entry bound. */
  uncacheable: number;
  tooLarge: number;
  /** Fills of upper tiers dropped because the write queue was full (safe: those tiers just missed the key). */
  fillsDropped: number;
  /** Messages handled outside the mailbox because it was full (a landing or a remote eviction must not be lost). */
  bypassed: number;
  /** Crashes of the shard's handler, each followed by a reset (an empty L1 slice). */
  restarts: number;
}

const now = (): number => performance.now();

/**
 * One shard of the cache: an actor owning a slice of L1 and the lookups of its keys. Lookups,
 * writes and evictions go through its mailbox, one at a time, so that a key's single flight,
 * its L1 entry and the order of its writes have one owner; reads of L1 (`peekEntry`) are
 * synchronous. The I/O of a lookup (L2, L3, the loader) runs outside the handler, which
 * never waits: its outcome comes back as a `landed` message.
 */
export class CacheShard {
  state!: ShardState;
  ref!: ActorRef<ShardMsg>;
  readonly counts: ShardCounts = {
    fromL1: 0, fromL2: 0, fromL3: 0, fromLoad: 0, loads: 0, loadErrors: 0, loadTimeouts: 0,
    joined: 0, overloaded: 0, uncacheable: 0, tooLarge: 0, fillsDropped: 0, bypassed: 0, restarts: 0,
  };
  private readonly writes: KeyedChain;
  private readonly flying = new Set<Promise<void>>();

  constructor(readonly index: number, private readonly ctx: ShardContext) {
    this.writes = new KeyedChain(ctx.maxPending);
  }

  spawn(supervisor: Supervisor): void {
    this.ref = supervisor.spawn<ShardState, ShardMsg>({
      name: `cache-shard-${this.index}`,
      initialState: () => this.fresh(),
      handle: (state, msg) => {
        this.handle(state, msg);
        return state;
      },
      // A handler that throws is a bug; the shard starts over empty rather than serving from a state it may have half changed.
      onCrash: () => {
        this.counts.restarts++;
        return 'reset';
      },
      // Gets still waiting when the shard stops (a load past the stop's grace) hear so at once, not at their timeout.
      onStop: (state) => {
        const stopped = new CacheError('NOT_RUNNING', 'the cache stopped before the value was found');
        for (const flight of state.flights.values()) for (const reply of flight.waiters) reply({ ok: false, error: stopped });
        state.flights.clear();
      },
      mailboxLimit: this.ctx.maxPending,
    });
  }

  /** Writes queued in this shard (to L2 and L3). */
  get queuedWrites(): number {
    return this.writes.size;
  }

  /** Resolves once the lookups under way, their landings and the writes they queued are done. */
  async idle(timeoutMs: number): Promise<void> {
    await Promise.all([...this.flying]);
    // A landing is a message: it is handled once a message sent after it is.
    await ask(this.ref, (reply: (s: Settled<undefined>) => void): ShardMsg => ({ type: 'drain', reply }), timeoutMs).catch(() => undefined);
    await this.writes.idle();
  }

  /** Sends `msg`, or when the mailbox is full handles it here and now (counted): for what must not be dropped. */
  deliver(msg: ShardMsg): void {
    if (this.ref.tell(msg)) return;
    if (this.ref.stopped) return;
    this.counts.bypassed++;
    this.handle(this.state, msg);
  }

  private fresh(): ShardState {
    this.state = { l1: new MemoryTier({ ...this.ctx.l1, maxEntryBytes: this.ctx.maxEntryBytes, sizeOf: (v) => this.ctx.codec.encode(v).length }), flights: new Map(), waiting: 0 };
    return this.state;
  }

  private handle(state: ShardState, msg: ShardMsg): void {
    switch (msg.type) {
      case 'fetch': return this.fetch(state, msg.key, msg.load, msg.reply);
      case 'landed': return this.landed(state, msg.flight, msg.landing);
      case 'set': return this.set(state, msg.key, msg.value, msg.bytes, msg.reply);
      case 'invalidate': return this.invalidate(state, msg.key, msg.reply);
      case 'evict':
        for (const key of msg.keys) {
          state.l1.remove(key);
          this.supersede(state, key);
        }
        return;
      case 'evictPrefix': {
        const n = state.l1.removePrefix(msg.prefix);
        for (const key of [...state.flights.keys()]) if (key.startsWith(msg.prefix)) this.supersede(state, key);
        msg.reply?.({ ok: true, value: n });
        return;
      }
      case 'warm':
        if (!state.l1.entryOf(msg.key) && !state.flights.has(msg.key)) state.l1.put(msg.key, msg.value, msg.bytes);
        return;
      case 'drain':
        msg.reply({ ok: true, value: undefined });
        return;
    }
  }

  private fetch(state: ShardState, key: string, load: Loader<unknown>, reply: (s: Settled<unknown>) => void): void {
    // Filled since the caller looked (by a flight that landed just before this message).
    const entry = state.l1.entryOf(key);
    if (entry) {
      this.counts.fromL1++;
      reply({ ok: true, value: entry.value, from: 'l1' });
      return;
    }
    if (state.waiting >= this.ctx.maxPending) {
      this.counts.overloaded++;
      reply({ ok: false, error: new CacheError('OVERLOADED', `cache shard ${this.index} has ${state.waiting} gets waiting (SUPERNOVA_CACHE_MAX_PENDING)`) });
      return;
    }
    state.waiting++;
    const flying = state.flights.get(key);
    if (flying) {
      this.counts.joined++;
      flying.waiters.push(reply);
      return;
    }
    const flight: Flight = { key, waiters: [reply], superseded: false };
    state.flights.set(key, flight);
    const done = this.fly(flight, load).then((landing) => {
      if (!this.ref.tell({ type: 'landed', flight, landing })) {
        // Full mailbox or stopped shard: the waiters must still hear back.
        if (!this.ref.stopped) this.counts.bypassed++;
        this.landed(this.state, flight, landing);
      }
    });
    this.flying.add(done);
    void done.finally(() => this.flying.delete(done));
  }

  private landed(state: ShardState, flight: Flight, landing: Landing): void {
    if (state.flights.get(flight.key) === flight) {
      state.flights.delete(flight.key);
      state.waiting -= flight.waiters.length;
    }
    const s = landing.settled;
    if (s.ok && landing.keepBytes !== undefined && !flight.superseded && !this.ref.stopped) state.l1.put(flight.key, s.value, landing.keepBytes);
    if (s.ok) {
      const n = flight.waiters.length;
      if (s.from === 'l2') this.counts.fromL2 += n;
      else if (s.from === 'l3') this.counts.fromL3 += n;
      else this.counts.fromLoad += n;
    }
    for (const reply of flight.waiters) reply(s);
  }

  /** L2, then L3, then the loader; fills the tiers above where the value was found. Never rejects. */
  private async fly(flight: Flight, load: Loader<unknown>): Promise<Landing> {
    const { key } = flight;
    const { l2, l3, latency } = this.ctx;
    if (l2) {
      const t0 = now();
      const r = await l2.read((t) => t.get(key));
      if (r.ok) {
        latency.observe('l2', (now() - t0) / 1000);
        if (r.value !== undefined) return this.found(r.value, 'l2');
      }
    }
    if (l3) {
      const t0 = now();
      const r = await l3.read((t) => t.get(key));
      if (r.ok) {
        latency.observe('l3', (now() - t0) / 1000);
        if (r.value !== undefined) {
          this.fill(flight, r.value, true, false);
          return this.found(r.value, 'l3');
        }
      }
    }
    this.counts.loads++;
    const t0 = now();
    let value: unknown;
    try {
      value = await this.withDeadline(load, key);
    } catch (err) {
      if (err instanceof CacheError && err.code === 'TIMEOUT') {
        this.counts.loadTimeouts++;
        return { settled: { ok: false, error: err } };
      }
      this.counts.loadErrors++;
      return { settled: { ok: false, error: new CacheError('LOAD_FAILED', `loading ${key} failed: ${messageOf(err)}`, { cause: err }) } };
    } finally {
      latency.observe('load', (now() - t0) / 1000);
    }
    const settled: Settled<unknown> = { ok: true, value, from: 'load' };
    if (value === undefined) return { settled };
    let bytes: number;
    try {
      bytes = this.ctx.codec.encode(value).length;
    } catch {
      this.counts.uncacheable++;
      return { settled };
    }
    if (bytes > this.ctx.maxEntryBytes) {
      this.counts.uncacheable++;
      this.counts.tooLarge++;
      return { settled };
    }
    this.fill(flight, value, true, true);
    return { settled, keepBytes: bytes };
  }

  private found(value: unknown, from: 'l2' | 'l3'): Landing {
    return { settled: { ok: true, value, from }, keepBytes: this.ctx.codec.encode(value).length };
  }

  private withDeadline(load: Loader<unknown>, key: string): Promise<unknown> {
    const ms = this.ctx.loadTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CacheError('TIMEOUT', `loading ${key} took over ${ms} ms (SUPERNOVA_CACHE_TIMEOUT_MS); its value, if it comes, is dropped`)), ms);
      Promise.resolve()
        .then(load)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  }

  /** Writes a found or loaded value to L2 and/or L3, after the key's earlier writes, unless a set or invalidate overtook it. */
  private fill(flight: Flight, value: unknown, toL2: boolean, toL3: boolean): void {
    if (flight.superseded) return;
    const { key } = flight;
    const { l2, l3 } = this.ctx;
    if (!(toL2 && l2) && !(toL3 && l3)) return;
    const queued = this.writes.run(key, () => Promise.all([
      toL2 ? l2?.write(key, (t) => t.set(key, value)) : undefined,
      toL3 ? l3?.write(key, (t) => t.set(key, value)) : undefined,
    ]));
    if (!queued) this.counts.fillsDropped++;
  }

  private set(state: ShardState, key: string, value: unknown, bytes: number, reply: (s: Settled<undefined>) => void): void {
    if (this.writes.full) {
      this.counts.overloaded++;
      reply({ ok: false, error: new CacheError('OVERLOADED', `cache shard ${this.index} has ${this.writes.size} writes queued (SUPERNOVA_CACHE_MAX_PENDING)`) });
      return;
    }
    state.l1.put(key, value, bytes);
    this.supersede(state, key);
    const { l2, l3 } = this.ctx;
    void this.writes.run(key, () => Promise.all([l2?.write(key, (t) => t.set(key, value)), l3?.write(key, (t) => t.set(key, value))]))
      ?.then(() => reply({ ok: true, value: undefined }));
  }

  private invalidate(state: ShardState, key: string, reply: (s: Settled<undefined>) => void): void {
    state.l1.remove(key);
    this.supersede(state, key);
    const { l2, l3 } = this.ctx;
    // A delete is queued even past the bound: leaving a stale value behind is worse than a longer queue.
    const run = () => Promise.all([l2?.write(key, (t) => t.delete(key)), l3?.write(key, (t) => t.delete(key))]);
    const queued = this.writes.run(key, run) ?? run().then(() => undefined, () => undefined);
    void queued.then(() => reply({ ok: true, value: undefined }));
  }

  /** What a flight of `key` finds is no longer the latest: it answers its waiters but stores nothing, and later gets start anew. */
  private supersede(state: ShardState, key: string): void {
    const flight = state.flights.get(key);
    if (!flight) return;
    flight.superseded = true;
    state.flights.delete(key);
    state.waiting -= flight.waiters.length;
  }
}
