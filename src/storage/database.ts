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
  /** How often a running database is checked (`select 1`), so health knows it is gone before a query fails. */
  checkIntervalMs?: number;
}

/** What `/performance/metrics/database` shows. */
export interface DatabaseReport {
  target: string;
  up: boolean;
  poolSize: number;
  schemaVersion: number;
  /** Whether the TimescaleDB extension can be used here (installed, or available to install); plain PostgreSQL otherwise. */
  timescaledb: 'installed' | 'available' | 'absent';
  queries: Record<string, QueryStats>;
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
  readonly target: string;
  private readonly poolSize: number;
  private readonly checkIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private schemaVersion = 0;
  private timescaledb: DatabaseReport['timescaledb'] = 'absent';
  /** The last check's answer (start's, then every checkIntervalMs). */
  up = false;

  constructor(o: DatabaseOptions) {
    this.target = redactDatabaseUrl(o.url);
    this.poolSize = o.poolSize;
    this.checkIntervalMs = o.checkIntervalMs ?? 5_000;
    this.sql = postgres(o.url, { max: o.poolSize, connect_timeout: o.connectTimeoutSeconds ?? 5, onnotice: () => {} });
  }

  /** Checks the database answers, applies the migrations it lacks, and finds whether TimescaleDB is there. */
  async start(): Promise<MigrationReport> {
    try {
      await this.sql`select 1`;
    } catch (err) {
      await this.sql.end({ timeout: 1 }).catch(() => {});
      throw new StorageError('DATABASE_UNREACHABLE', `cannot reach the database at ${this.target} (SUPERNOVA_DATABASE_URL): ${(err as Error).message}`, { cause: err });
    }
    this.up = true;
    const report = await migrate(this.sql);
    this.schemaVersion = report.current;
    const [ext] = await this.sql<{ installed: string | null }[]>`select installed_version as installed from pg_available_extensions where name = 'timescaledb'`;
    this.timescaledb = ext === undefined ? 'absent' : ext.installed ? 'installed' : 'available';
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
    return report;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sql.end({ timeout: 5 });
  }

  report(): DatabaseReport {
    return { target: this.target, up: this.up, poolSize: this.poolSize, schemaVersion: this.schemaVersion, timescaledb: this.timescaledb, queries: this.queryStats() };
  }

  private async check(): Promise<void> {
    try {
      await this.sql`select 1`;
      this.up = true;
    } catch {
      this.up = false;
    }
  }

  /** Runs a query under a name, counting its time and errors; a postgres.js error comes back as StorageError QUERY_FAILED with it as cause. */
  async query<T>(name: string, run: (sql: Sql) => Promise<T>): Promise<T> {
    let s = this.stats_.get(name);
    if (!s) this.stats_.set(name, (s = { calls: 0, errors: 0, seconds: 0 }));
    const started = process.hrtime.bigint();
    s.calls++;
    try {
      const out = await run(this.sql);
      this.up = true;
      return out;
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
