import { Counter, Gauge, Registry } from 'prom-client';
import type { PipelineCounters, SpillStats } from '../../streams/index.js';
import type { HistoryStats, RedisBrokerStats } from '../broker/index.js';
import { BucketHistogram, type HistogramSeriesCounts } from './bucket-histogram.js';
import { IntervalLatency } from './interval-latency.js';
import { processMetrics } from './process-metrics.js';
import { QUERY_SECONDS_BOUNDS } from '../storage/query-latency.js';
import { registerSpillMetrics } from './spill-metrics.js';

export interface MetricsSources {
  connections(): number;
  actorStats(): { mailboxDepth: number; resets: number; crashes: number; stopsByPolicy: number };
  delivered(): number;
  /** Counters of each pipeline by name (e.g. `market`). */
  pipelines?(): Record<string, PipelineCounters>;
  /** Exceptions caught before they left a callback, by place (InternalErrors). */
  internalErrors?(): Record<string, number>;
  /** History's memory by namespace and what its budgets dropped. */
  history?(): HistoryStats | undefined;
  /** Log lines the log output dropped or lost (LogSink.dropped). */
  logLinesDropped?(): number;
  /** Clients turned away since start, by reason (connection limit, memory, shutdown, open files). */
  refusedConnections?(): Record<string, number>;
  /** True while the memory watchdog has the engine under pressure. */
  memoryPressure?(): boolean;
  /** HTTP requests refused by the rate limits, and limit decisions taken in memory for want of Redis, by route group. */
  rateLimited?(): Record<string, number>;
  rateLimitFallbacks?(): Record<string, number>;
  /** Batched writers to PostgreSQL by table (BatchWriter.stats). */
  persistence?(): Record<string, { buffered: number; written: number; retries: number; refused: number; spill?: SpillStats }>;
  /** PostgreSQL's named queries, when storage is on (Database.queryStats). */
  databaseQueries?(): Record<string, { calls: number; errors: number; seconds: number }> | undefined;
  /** Their latency histograms by name, bounds QUERY_SECONDS_BOUNDS (Database.queryHistograms). */
  databaseLatency?(): ReadonlyMap<string, HistogramSeriesCounts> | undefined;
  /** The Redis broker's counts, when it runs (RedisBroker.stats). */
  redisBroker?(): RedisBrokerStats | undefined;
  /** Fossil delta fan-out: publications sent as deltas or whole, bases evicted and held, subscriptions waiting for a whole one. */
  delta?(): { deltas: number; wholes: number; evictions: number; baseBytes: number; waiting: number };
}

/**
 * The engine's Prometheus metrics, on a registry of its own so that several engines in one
 * process (tests) do not collide. Gauges read their sources at scrape time: nothing is updated
 * per message on the data plane.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  /** The process's own figures (processMetrics), rendered before the engine's; off with defaultMetrics: false. */
  private readonly processRegistry: Registry | undefined;
  readonly commands: Counter<'method' | 'result'>;
  readonly commandLatency: BucketHistogram<'method'>;
  /** Publications by namespace: plain numbers on the data plane, read by the counter at scrape time. */
  private readonly publicationsByNamespace = new Map<string, number>();
  readonly disconnects: Counter<'code'>;
  readonly clientCloses: Counter<'kind'>;
  /** Publications refused at publish time, by problem (TOO_DEEP, NOT_WIRE_SAFE, TOO_LARGE). */
  readonly publicationsRefused: Counter<'reason'>;
  readonly httpDuration: BucketHistogram<'route' | 'method' | 'status'>;
  /** The series of each route, method and status seen, so a response costs one Map lookup. */
  private readonly httpSeries = new Map<string, HistogramSeriesCounts>();
  private readonly commandSeries = new Map<string, HistogramSeriesCounts>();
  /** Command latency of the current metrics interval (the histogram above is cumulative). */
  readonly intervalCommandLatency = new IntervalLatency();
  /** HTTP 429s and Redis fallbacks of the rate limit by group: plain numbers per request, read at scrape time. */

  constructor(sources: MetricsSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.processRegistry = options.defaultMetrics === false ? undefined : processMetrics();
    new Gauge({ name: 'supernova_connections', help: 'Open client connections', registers, collect() { this.set(sources.connections()); } });
    this.commands = new Counter({ name: 'supernova_commands_total', help: 'Client commands by method and result', labelNames: ['method', 'result'], registers });
    this.commandLatency = new BucketHistogram(
      'supernova_command_duration_seconds',
      'Time from a frame reaching its connection actor to the reply of each command',
      ['method'],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      this.registry,
    );
    sourcedCounter('supernova_publications_total', 'Publications by namespace', this.registry, () => Object.fromEntries(this.publicationsByNamespace), 'namespace');
    sourcedCounter('supernova_messages_delivered_total', 'Publications and join/leave pushes delivered to subscribers (sum over subscribers)', this.registry, () => ({ '': sources.delivered() }));
    this.disconnects = new Counter({ name: 'supernova_disconnects_total', help: 'Server-initiated disconnects by code', labelNames: ['code'], registers });
    this.clientCloses = new Counter({
      name: 'supernova_client_closes_total',
      help: 'Sessions the client ended, by kind: normal (close 1000/1001), abnormal (1006: gone without a close frame, a dropped network), no_status (1005), other (another close code), stream (an HTTP-streaming or SSE stream closed)',
      labelNames: ['kind'], registers,
    });
    new Gauge({ name: 'supernova_actor_mailbox_depth', help: 'Messages queued in connection actor mailboxes', registers, collect() { this.set(sources.actorStats().mailboxDepth); } });
    sourcedCounter('supernova_actor_restarts_total', 'Actor handler crashes (resumed or reset) and actors the supervisor stopped, by decision', this.registry, () => {
      const st = sources.actorStats();
      return { crash: st.crashes, reset: st.resets, stop: st.stopsByPolicy };
    }, 'decision');
    this.httpDuration = new BucketHistogram(
      'supernova_http_request_duration_seconds',
      'Time from an HTTP request to its response (to the first byte for event streams), by route pattern',
      ['route', 'method', 'status'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      this.registry,
    );
    const httpDuration = this.httpDuration;
    const requestsSeen = new Map<string, number>();
    new Counter({
      name: 'supernova_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers,
      collect() {
        for (const { labels, count } of httpDuration.countsBy(['route', 'status'])) {
          const key = `${labels.route} ${labels.status}`;
          this.inc(labels, count - (requestsSeen.get(key) ?? 0));
          requestsSeen.set(key, count);
        }
      },
    });
    sourcedCounter('supernova_http_rate_limited_total', 'HTTP requests refused with 429 by the rate limit, by route group', this.registry, () => sources.rateLimited?.() ?? {}, 'group');
    sourcedCounter('supernova_http_rate_limit_fallbacks_total', 'HTTP rate-limit decisions taken in this process\'s memory because Redis failed or was not ready, by route group', this.registry, () => sources.rateLimitFallbacks?.() ?? {}, 'group');
    const pipelines = () => sources.pipelines?.() ?? {};
    const pipelineCounter = (figure: keyof PipelineCounters, name: string, help: string) =>
      sourcedCounter(name, help, this.registry, () => Object.fromEntries(Object.entries(pipelines()).map(([p, c]) => [p, c[figure]])), 'pipeline');
    sourcedCounter('supernova_connections_refused_total', 'Clients turned away: WebSocket upgrades answered 503 (limit, memory, shutdown) or 403 (origin: not in SUPERNOVA_ALLOWED_ORIGINS) and sockets closed at accept to keep file descriptors (open_files)', this.registry, () => sources.refusedConnections?.() ?? {}, 'reason');
    new Gauge({ name: 'supernova_memory_pressure', help: '1 while RSS has been over the high-water mark and not yet back under the low-water mark', registers, collect() { this.set(sources.memoryPressure?.() ? 1 : 0); } });
    pipelineCounter('ticksIn', 'supernova_pipeline_ticks_in_total', 'Ticks a pipeline took from its feed (valid or not)');
    pipelineCounter('ticksDropped', 'supernova_pipeline_ticks_dropped_total', 'Ticks a pipeline refused (any reason; supernova_market_ticks_rejected_total has them by reason)');
    pipelineCounter('published', 'supernova_pipeline_published_total', 'Publications of a pipeline the broker accepted');
    pipelineCounter('publishErrors', 'supernova_pipeline_publish_errors_total', 'Publications of a pipeline the broker rejected');
    sourcedCounter('supernova_internal_errors_total', 'Exceptions caught where they ran (an encode, a fan-out flush, an HTTP write, a handler) instead of leaving their callback, by place', this.registry, () => sources.internalErrors?.() ?? {}, 'where');
    this.publicationsRefused = new Counter({ name: 'supernova_publications_refused_total', help: 'Client and server API publications refused at publish time, by problem', labelNames: ['reason'], registers });
    const history = () => sources.history?.();
    new Gauge({
      name: 'supernova_history_bytes', help: 'Bytes history holds (publications and stream overhead, as its budgets count them), by namespace', labelNames: ['namespace'], registers,
      collect() {
        this.reset();
        for (const [namespace, n] of Object.entries(history()?.namespaces ?? {})) this.set({ namespace }, n.bytes);
      },
    });
    new Gauge({
      name: 'supernova_history_streams', help: 'Channel streams history holds, by namespace', labelNames: ['namespace'], registers,
      collect() {
        this.reset();
        for (const [namespace, n] of Object.entries(history()?.namespaces ?? {})) this.set({ namespace }, n.streams);
      },
    });
    const writers = () => sources.persistence?.() ?? {};
    const byTable = (figure: 'written' | 'retries' | 'refused') => (): Record<string, number> => Object.fromEntries(Object.entries(writers()).map(([table, w]) => [table, w[figure]]));
    sourcedCounter('supernova_persist_rows_total', 'Rows written to PostgreSQL by the batched writers, by table', this.registry, byTable('written'), 'table');
    sourcedCounter('supernova_persist_retries_total', 'Failed batch writes retried (the database was down or refused), by table', this.registry, byTable('retries'), 'table');
    sourcedCounter('supernova_persist_refused_total', 'Rows refused because the writer already held SUPERNOVA_PERSIST_MAX_BUFFERED, by table', this.registry, byTable('refused'), 'table');
    new Gauge({ name: 'supernova_persist_buffered', help: 'Rows waiting for PostgreSQL in memory, by table (those spilled to disk are in supernova_spill_bytes)', labelNames: ['table'], registers, collect() { for (const [table, w] of Object.entries(writers())) this.set({ table }, w.buffered); } });
    registerSpillMetrics(this.registry, writers);
    const queries = () => sources.databaseQueries?.() ?? {};
    sourcedCounter('supernova_db_queries_total', 'PostgreSQL queries by name', this.registry, () => Object.fromEntries(Object.entries(queries()).map(([name, q]) => [name, q.calls])), 'name');
    sourcedCounter('supernova_db_query_errors_total', 'PostgreSQL queries that failed, by name', this.registry, () => Object.fromEntries(Object.entries(queries()).map(([name, q]) => [name, q.errors])), 'name');
    new Gauge({
      name: 'supernova_db_query_seconds_total', help: 'Time spent in PostgreSQL queries, by name (divide by supernova_db_queries_total for the mean)', labelNames: ['name'], registers,
      collect() { for (const [name, q] of Object.entries(queries())) this.set({ name }, q.seconds); },
    });
    registerSourcedHistogram('supernova_db_query_seconds', 'PostgreSQL query latency in seconds, by name (buckets double from 50 µs)', 'name', QUERY_SECONDS_BOUNDS, this.registry, () => sources.databaseLatency?.());
    const redis = () => sources.redisBroker?.();
    new Gauge({ name: 'supernova_redis_channels', help: 'Channels this node receives from Redis (those with local subscribers)', registers, collect() { this.set(redis()?.channels ?? 0); } });
    sourcedCounter('supernova_redis_gaps_total', 'Gaps in a channel\'s offsets this node found (a lost PUB/SUB message or connection), by outcome: filled from the stream, or lost (its positioned subscribers were sent 2500)', this.registry,
      (): Record<string, number> => { const r = redis(); return r ? { filled: r.gapsFilled, lost: r.gapsLost } : {}; }, 'outcome');
    sourcedCounter('supernova_redis_messages_dropped_total', 'PUB/SUB messages this node could not read (another version\'s, or corrupt)', this.registry, (): Record<string, number> => { const r = redis(); return r ? { '': r.dropped } : {}; });
    sourcedCounter('supernova_redis_epoch_resets_total', 'Channel streams this node found behind what it had seen of them when publishing (writes lost in a Redis failover), restarted in a new epoch so that no offset is given twice', this.registry, (): Record<string, number> => { const r = redis(); return r ? { '': r.epochResets } : {}; });
    sourcedCounter('supernova_redis_sync_timeouts_total', 'Subscribes that stopped waiting for this node\'s PUB/SUB connection to deliver what their history read returned (no answer within 2 s, or the connection failed)', this.registry, (): Record<string, number> => { const r = redis(); return r ? { '': r.syncTimeouts } : {}; });
    sourcedCounter('supernova_redis_local_fallbacks_total', 'Pipeline publications delivered only to this node\'s subscribers because Redis was unreachable', this.registry, (): Record<string, number> => { const r = redis(); return r ? { '': r.localFallbacks } : {}; });
    sourcedCounter('supernova_history_evicted_total', 'Publications history dropped before their TTL, by the budget that dropped them (channel, namespace, total, memory)', this.registry, () => ({ ...history()?.evicted }), 'reason');
    const delta = () => sources.delta?.();
    sourcedCounter('supernova_delta_publications_total', 'Publications sent to fossil-delta subscribers (one per encoding), by kind: delta, or whole (no base, or the delta was not smaller)', this.registry,
      (): Record<string, number> => { const d = delta(); return d ? { delta: d.deltas, whole: d.wholes } : {}; }, 'kind');
    sourcedCounter('supernova_delta_base_evictions_total', 'Previous publications dropped from the delta base cache (SUPERNOVA_DELTA_BASE_MAX_BYTES / _CHANNELS); the channel\'s next publication went whole', this.registry,
      (): Record<string, number> => { const d = delta(); return d ? { '': d.evictions } : {}; });
    new Gauge({ name: 'supernova_delta_base_bytes', help: 'Bytes of previous publications held for fossil-delta subscribers', registers, collect() { this.set(delta()?.baseBytes ?? 0); } });
    new Gauge({ name: 'supernova_delta_waiting_subscriptions', help: 'Delta subscriptions waiting for their first whole publication', registers, collect() { this.set(delta()?.waiting ?? 0); } });
    sourcedCounter('supernova_log_lines_dropped_total', 'Log lines never written: the log output was full past its backlog limits, or failed', this.registry, () => ({ '': sources.logLinesDropped?.() ?? 0 }));
  }

  /** One publication of a namespace. Per publication: a Map update, not a labelled prom-client inc. */
  countPublication(namespace: string): void {
    this.publicationsByNamespace.set(namespace, (this.publicationsByNamespace.get(namespace) ?? 0) + 1);
  }



  /** One answered client command: the cumulative histogram and the current interval's. */
  observeCommand(method: string, seconds: number): void {
    let series = this.commandSeries.get(method);
    if (!series) this.commandSeries.set(method, (series = this.commandLatency.for({ method })));
    series.observe(seconds);
    this.intervalCommandLatency.record(seconds);
  }

  /** One HTTP response, as the router reports it. */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'other';
    const key = `${route} ${m} ${status}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      // Routes are the router's patterns and statuses a short list, so this stays small.
      series = this.httpDuration.for({ route, method: m, status: String(status) });
      this.httpSeries.set(key, series);
    }
    series.observe(seconds);
  }

  async render(): Promise<{ body: string; contentType: string }> {
    const own = await this.registry.metrics();
    const body = this.processRegistry ? `${await this.processRegistry.metrics()}\n${own}` : own;
    return { body, contentType: this.registry.contentType };
  }
}

/** Methods kept as a label; anything else a client sends is `other`, so labels stay bounded. */
const KNOWN_METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'patch', 'options']);

/**
 * A Prometheus counter whose totals live elsewhere (the fan-out, the actor runtime): at scrape
 * time it adds what the source counted since the last scrape, so nothing runs per message.
 * A source keyed by '' has no label.
 */
export function sourcedCounter(name: string, help: string, registry: Registry, read: () => Record<string, number>, label?: string): void {
  const seen = new Map<string, number>();
  new Counter({
    name, help, registers: [registry], labelNames: label ? [label] : [],
    collect() {
      for (const [key, total] of Object.entries(read())) {
        const delta = total - (seen.get(key) ?? 0);
        // A zero delta on first sight still creates the series, so dashboards see 0, not no data.
        if (delta > 0 || !seen.has(key)) {
          if (label) this.inc({ [label]: key }, Math.max(0, delta));
          else this.inc(Math.max(0, delta));
        }
        seen.set(key, total);
      }
    },
  });
}

/**
 * A Prometheus histogram whose buckets are kept elsewhere (per label value, bounds fixed): rendered
 * at scrape time like BucketHistogram, so the code observing values needs no registry.
 */
function registerSourcedHistogram(name: string, help: string, label: string, bounds: readonly number[], registry: Registry, read: () => ReadonlyMap<string, HistogramSeriesCounts> | undefined): void {
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const [key, h] of read() ?? new Map<string, HistogramSeriesCounts>()) {
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += h.counts[i] as number;
          values.push({ labels: { le: i < bounds.length ? (bounds[i] as number) : '+Inf', [label]: key }, value: cumulative, metricName: `${name}_bucket` });
        }
        values.push({ labels: { [label]: key }, value: h.sum, metricName: `${name}_sum` });
        values.push({ labels: { [label]: key }, value: h.count, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  };
  // The registry only reads name, help, type and get(), as for BucketHistogram.
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** The `kind` of supernova_client_closes_total for a client's close code. */
export function clientCloseKind(code: number | 'stream'): 'normal' | 'abnormal' | 'no_status' | 'other' | 'stream' {
  if (code === 'stream') return 'stream';
  if (code === 1000 || code === 1001) return 'normal';
  if (code === 1006) return 'abnormal';
  if (code === 1005) return 'no_status';
  return 'other';
}
