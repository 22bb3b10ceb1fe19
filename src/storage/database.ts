import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { StorageError, redactDatabaseUrl } from './errors.js';
import { migrate, type MigrationReport } from './migrate.js';
import { QueryLatency, type QueryLatencyReport, type QueryStats } from './query-latency.js';
import { noDelaySocketFactory } from './tcp-socket.js';
import { timescaleState, type TimescaleExtension, type TimescaleState } from './timescale.js';

export type { QueryStats } from './query-latency.js';

/** How long the report waits for the server's view of the pool. */
const REPORT_WAIT_MS = 1_000;

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

/** The pool as `/performance/metrics/database` shows it. */
export interface PoolReport {
  size: number;
  /**
   * Queries started through query() and not finished: counted here, because postgres.js exposes
   * nothing of its pool. postgres.js pipelines queries, so this may exceed the connections in use.
   */
  inFlight: number;
  /** This pool's connections as the server sees them (pg_stat_activity); null when it does not answer. */
  connections: { open: number; active: number; idle: number; idleInTransaction: number } | null;
}

/** What `/performance/metrics/database` shows. */
export interface DatabaseReport {
  target: string;
  up: boolean;
  poolSize: number;
  pool: PoolReport;
  schemaVersion: number;
  /** Whether the TimescaleDB extension can be used here (installed, or available to install); plain PostgreSQL otherwise. */
  timescaledb: TimescaleExtension;
  timescale: TimescaleState;
  /** Per query name: calls, errors, seconds, and latency quantiles in seconds. */
  queries: Record<string, QueryLatencyReport>;
}

/**
 * PostgreSQL through postgres.js: one pool, migrated at start, and every query named so that its
 * latency and errors are counted per name. postgres.js reconnects lost connections by itself; a
 * database unreachable at start makes start() fail with the variable and host named, and the
 * next start() tries again (Storage waits for it, or refuses to start: SUPERNOVA_DATABASE_AT_START).
 */
export class Database {
  /** The pool; replaced after a start that could not connect, since an ended pool cannot be used again. */
  private pooled: Sql;
  private readonly latency = new QueryLatency();
  /** This pool's application_name, to find its connections in pg_stat_activity. */
  private readonly applicationName = `supernova-${randomUUID().slice(0, 8)}`;
  private inFlight = 0;
  private readonly url: string;
  private readonly connectTimeoutSeconds: number;
  /** The one-connection pool of bulk(), opened on first use. */
  private bulkSql: Sql | undefined;
  readonly target: string;
  private readonly poolSize: number;
  private readonly checkIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private schemaVersion = 0;
  private timescale: TimescaleState = { extension: 'absent', preloaded: false, hypertables: [], continuousAggregates: [], layout: 'not checked yet' };
  /** The last check's answer (start's, then every checkIntervalMs). */
  up = false;

  constructor(o: DatabaseOptions) {
    this.target = redactDatabaseUrl(o.url);
    this.url = o.url;
    this.connectTimeoutSeconds = o.connectTimeoutSeconds ?? 5;
    this.poolSize = o.poolSize;
    this.checkIntervalMs = o.checkIntervalMs ?? 5_000;
    this.pooled = this.pool(o.poolSize);
  }

  /** The pool now (benches and tests that query directly; the engine goes through query()). */
  get sql(): Sql {
    return this.pooled;
  }

  /** Checks the database answers, applies the migrations it lacks, and finds whether TimescaleDB is there. */
  async start(): Promise<MigrationReport> {
    try {
      await this.sql`select 1`;
    } catch (err) {
      await this.sql.end({ timeout: 1 }).catch(() => {});
      this.pooled = this.pool(this.poolSize);
      throw new StorageError('DATABASE_UNREACHABLE', `cannot reach the database at ${this.target} (SUPERNOVA_DATABASE_URL): ${(err as Error).message}`, { cause: err });
    }
    this.up = true;
    // A pool of its own: a connection that dies mid-migration is kept out of any pool (see migrate()).
    const migrating = this.pool(1);
    const report = await migrate(migrating).finally(() => migrating.end({ timeout: 1 }));
    this.schemaVersion = report.current;
    this.timescale = await timescaleState(this.sql);
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
    return report;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.sql.end({ timeout: 5 }), this.bulkSql?.end({ timeout: 5 })]);
    this.bulkSql = undefined;
  }

  private pool(max: number): Sql {
    // `socket` is documented by postgres.js but missing from its types (see tcp-socket.ts for why).
    const options = { max, connect_timeout: this.connectTimeoutSeconds, onnotice: () => {}, connection: { application_name: this.applicationName }, socket: noDelaySocketFactory() };
    return postgres(this.url, options);
  }

  /** TimescaleDB as found at start (after the migrations). */
  timescaleState(): TimescaleState {
    return this.timescale;
  }

  async report(): Promise<DatabaseReport> {
    return {
      target: this.target, up: this.up, poolSize: this.poolSize, pool: { size: this.poolSize, inFlight: this.inFlight, connections: await this.connections() },
      schemaVersion: this.schemaVersion, timescaledb: this.timescale.extension, timescale: this.timescale, queries: this.latency.report(),
    };
  }

  /**
   * This pool's connections by state, from the server (the asking connection not counted as
   * active). At most REPORT_WAIT_MS: a database that stopped answering must not hold the endpoint
   * up for the connect timeout.
   */
  private async connections(): Promise<PoolReport['connections']> {
    if (!this.up) return null;
    let timer: NodeJS.Timeout | undefined;
    try {
      const asked = this.query('database.connections', (sql) => sql<{ state: string | null; n: number }[]>`
        select case when pid = pg_backend_pid() then 'idle' else state end as state, count(*)::int as n
        from pg_stat_activity where application_name = ${this.applicationName} group by 1`);
      asked.catch(() => {});
      const rows = await Promise.race([asked, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no answer')), REPORT_WAIT_MS); })]);
      const n = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
      return { open: rows.reduce((t, r) => t + r.n, 0), active: n('active'), idle: n('idle'), idleInTransaction: n('idle in transaction') + n('idle in transaction (aborted)') };
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
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
    const started = process.hrtime.bigint();
    let failed = false;
    this.inFlight++;
    try {
      const out = await run(this.sql);
      this.up = true;
      return out;
    } catch (err) {
      failed = true;
      if (err instanceof StorageError) throw err;
      throw new StorageError('QUERY_FAILED', `query ${name} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.inFlight--;
      this.latency.record(name, Number(process.hrtime.bigint() - started) / 1e9, failed);
    }
  }

  /**
   * query() on a pool of its own with one connection, for COPY (see copy-in.ts): statements sent
   * one after another reach the server in that order on that one connection, and no other query
   * of the engine is ever pipelined behind a COPY (postgres.js refuses it with COPY_IN_PROGRESS).
   * It also keeps session state such as a temporary table between them, unless the connection
   * was lost and replaced in between, which then fails the statement that needed it.
   * Transactions (sql.begin, sql.reserve) are avoided on purpose: postgres.js 3.4 crashes the
   * process when a transaction's connection dies under it (porsager/postgres issue 1208).
   */
  async bulk<T>(name: string, run: (sql: Sql) => Promise<T>): Promise<T> {
    this.bulkSql ??= this.pool(1);
    const sql = this.bulkSql;
    return this.query(name, () => run(sql));
  }

  /** Per query name, since start. */
  queryStats(): Record<string, QueryStats> {
    return this.latency.stats();
  }

  /** Per query name, the latency histograms (bounds QUERY_SECONDS_BOUNDS). */
  queryHistograms(): ReturnType<QueryLatency['histograms']> {
    return this.latency.histograms();
  }
}
