import postgres, { type Sql } from 'postgres';
import { StorageError, redactDatabaseUrl } from './errors.js';
import { migrate, type MigrationReport } from './migrate.js';

export interface DatabaseOptions {
  /** SUPERNOVA_DATABASE_URL. */
  url: string;
  /** Connections in the pool at most. */
  poolSize: number;
  /** Seconds a new connection may take. */
  connectTimeoutSeconds?: number;
}

/** Calls, errors and time of one named query. */
export interface QueryStats { calls: number; errors: number; seconds: number }

/**
 * PostgreSQL through postgres.js: one pool, migrated at start, and every query named so that its
 * latency and errors are counted per name. postgres.js reconnects lost connections by itself; a
 * database unreachable at start stops start-up with the variable and host named.
 */
export class Database {
  readonly sql: Sql;
  private readonly stats_ = new Map<string, QueryStats>();
  private readonly target: string;

  constructor(o: DatabaseOptions) {
    this.target = redactDatabaseUrl(o.url);
    this.sql = postgres(o.url, { max: o.poolSize, connect_timeout: o.connectTimeoutSeconds ?? 5, onnotice: () => {} });
  }

  /** Checks the database answers, then applies the migrations it lacks. */
  async start(): Promise<MigrationReport> {
    try {
      await this.sql`select 1`;
    } catch (err) {
      await this.sql.end({ timeout: 1 }).catch(() => {});
      throw new StorageError('DATABASE_UNREACHABLE', `cannot reach the database at ${this.target} (SUPERNOVA_DATABASE_URL): ${(err as Error).message}`, { cause: err });
    }
    return migrate(this.sql);
  }

  async stop(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  /** Runs a query under a name, counting its time and errors; a postgres.js error comes back as StorageError QUERY_FAILED with it as cause. */
  async query<T>(name: string, run: (sql: Sql) => Promise<T>): Promise<T> {
    let s = this.stats_.get(name);
    if (!s) this.stats_.set(name, (s = { calls: 0, errors: 0, seconds: 0 }));
    const started = process.hrtime.bigint();
    s.calls++;
    try {
      return await run(this.sql);
    } catch (err) {
      s.errors++;
      throw new StorageError('QUERY_FAILED', `query ${name} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      s.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
  }

  /** Per query name, since start. */
  queryStats(): Record<string, QueryStats> {
    return Object.fromEntries([...this.stats_].map(([name, s]) => [name, { ...s }]));
  }
}
