import type { Database } from '../storage/index.js';
import { CacheError, messageOf } from './errors.js';
import { emptyStats, type CacheTier, type TierStats } from './tier.js';
import { decodeStored, type ValueCodec } from './value-codec.js';

export interface PostgresTierOptions {
  database: Database;
  ttlMs: number;
  /** An encoded value over this is not stored (tooLarge). */
  maxEntryBytes: number;
  /** Rows and bytes (values and keys) the table may hold; `maintain()` evicts the soonest to expire beyond them. */
  maxRows: number;
  maxBytes: number;
  /** A query unanswered this long fails (it may still finish in PostgreSQL). */
  timeoutMs: number;
  codec: ValueCodec;
}

/** Rows one purge or eviction statement deletes at most, so no statement holds locks for long. */
const DELETE_BATCH = 10_000;
/** Statements of one maintenance pass at most: the rest waits for the next pass. */
const MAX_BATCHES = 100;
/** Maintenance statements walk the table: they get longer than a lookup. */
const MAINTENANCE_TIMEOUT_MS = 30_000;

/** What one maintenance pass did. */
export interface MaintenanceReport {
  purged: number;
  evicted: number;
  rows: number;
  bytes: number;
}

/**
 * L3: the `cache_entries` table (key, msgpack value, expires_at). Expiry is PostgreSQL's clock
 * (`now()`), so nodes with skewed clocks agree. Expired rows are never returned, and are deleted
 * by `maintain()` (the cache runs it every SUPERNOVA_CACHE_MAINTENANCE_MS), which also evicts the
 * rows closest to expiry while the table is over its row or byte bound.
 */
export class PostgresTier<V = unknown> implements CacheTier<V> {
  readonly name = 'l3' as const;
  private readonly stats_ = emptyStats();

  constructor(private readonly o: PostgresTierOptions) {
    this.stats_.items = null;
    this.stats_.bytes = null;
  }

  describe(): string {
    return this.o.database.target;
  }

  async get(key: string): Promise<V | undefined> {
    const rows = await this.run('cache_get', (sql) => sql<{ value: Buffer }[]>`select value from cache_entries where key = ${key} and expires_at > now()`);
    return this.decoded(key, rows[0]?.value);
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    if (keys.length === 0) return [];
    const rows = await this.run('cache_get_many', (sql) => sql<{ key: string; value: Buffer }[]>`select key, value from cache_entries where key = any(${sql.array([...keys])}::text[]) and expires_at > now()`);
    const byKey = new Map(rows.map((r) => [r.key, r.value]));
    return Promise.all(keys.map((k) => this.decoded(k, byKey.get(k))));
  }

  async set(key: string, value: V, ttlMs = this.o.ttlMs): Promise<void> {
    const bytes = this.o.codec.encode(value);
    if (bytes.length > this.o.maxEntryBytes) {
      this.stats_.tooLarge++;
      throw new CacheError('VALUE_TOO_LARGE', `the value is ${bytes.length} bytes encoded, over ${this.o.maxEntryBytes} (SUPERNOVA_CACHE_MAX_ENTRY_BYTES)`, { tier: 'l3' });
    }
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.run('cache_set', (sql) => sql`
      insert into cache_entries (key, value, expires_at) values (${key}, ${buf}, now() + ${Math.max(1, ttlMs)}::float8 * interval '1 millisecond')
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`);
    this.stats_.sets++;
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.run('cache_delete', (sql) => sql`delete from cache_entries where key = ${key}`);
    this.stats_.deletes += result.count;
    return result.count > 0;
  }

  async clear(prefix: string): Promise<number> {
    const result = prefix === ''
      ? await this.run('cache_clear', (sql) => sql`delete from cache_entries`)
      : await this.run('cache_clear', (sql) => sql`delete from cache_entries where starts_with(key, ${prefix})`);
    this.stats_.deletes += result.count;
    return result.count;
  }

  /** Deletes expired rows, then evicts the soonest to expire while over maxRows or maxBytes; measures the table. */
  async maintain(): Promise<MaintenanceReport> {
    let purged = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const r = await this.run('cache_purge', (sql) => sql`delete from cache_entries where key in (select key from cache_entries where expires_at <= now() limit ${DELETE_BATCH})`, MAINTENANCE_TIMEOUT_MS);
      purged += r.count;
      if (r.count < DELETE_BATCH) break;
    }
    this.stats_.expired += purged;
    let { rows, bytes } = await this.measure();
    let evicted = 0;
    for (let i = 0; i < MAX_BATCHES && (rows > this.o.maxRows || bytes > this.o.maxBytes); i++) {
      const average = rows > 0 ? bytes / rows : 1;
      const over = Math.max(rows - this.o.maxRows, Math.ceil((bytes - this.o.maxBytes) / Math.max(1, average)), 1);
      const r = await this.run('cache_evict', (sql) => sql`delete from cache_entries where key in (select key from cache_entries order by expires_at limit ${Math.min(over, DELETE_BATCH)})`, MAINTENANCE_TIMEOUT_MS);
      evicted += r.count;
      if (r.count === 0) break;
      ({ rows, bytes } = await this.measure());
    }
    this.stats_.evictions += evicted;
    return { purged, evicted, rows, bytes };
  }

  stats(): TierStats {
    return { ...this.stats_ };
  }

  private async measure(): Promise<{ rows: number; bytes: number }> {
    const [m] = await this.run('cache_size', (sql) => sql<{ rows: string; bytes: string }[]>`
      select count(*)::bigint as rows, coalesce(sum(octet_length(value) + octet_length(key)), 0)::bigint as bytes from cache_entries`, MAINTENANCE_TIMEOUT_MS);
    const rows = Number(m?.rows ?? 0);
    const bytes = Number(m?.bytes ?? 0);
    this.stats_.items = rows;
    this.stats_.bytes = bytes;
    return { rows, bytes };
  }

  private decoded(key: string, raw: Buffer | undefined): Promise<V | undefined> {
    return decodeStored<V>(this.o.codec, this.stats_, raw, () => this.delete(key));
  }

  private async run<T>(name: string, q: (sql: Database['sql']) => Promise<T>, timeoutMs = this.o.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheError('TIER_FAILED', `L3 ${name} on ${this.o.database.target} got no answer within ${timeoutMs} ms (SUPERNOVA_CACHE_TIER_TIMEOUT_MS)`, { tier: 'l3' })), timeoutMs);
    });
    const query = this.o.database.query(name, q);
    // A query that loses the race still settles later; its outcome is nobody's.
    query.catch(() => {});
    try {
      return await Promise.race([query, timeout]);
    } catch (err) {
      if (err instanceof CacheError) throw err;
      throw new CacheError('TIER_FAILED', `L3 ${name} failed: ${messageOf(err)}`, { cause: err, tier: 'l3' });
    } finally {
      clearTimeout(timer);
    }
  }
}
