/**
 * What the `metrics` channel and the SSE stream carry, one per interval. This is the one
 * definition of the snapshot: the pipeline builds it, the README documents it from here.
 * Times are milliseconds, sizes bytes, rates per second of real elapsed time.
 */
export interface MetricsSnapshot {
  /** Sequence number of this snapshot since the pipeline started (1, 2, ...); the SSE `id:`. */
  seq: number;
  /** When it was taken (ms since epoch). */
  ts: number;
  /** Real time since the previous reading: the span the rates and percentiles cover. */
  intervalMs: number;
  /** Seconds since the engine started. */
  uptimeSec: number;
  /** Open client connections (WebSocket). */
  connections: number;
  /** Publications fanned out by this node per second, over the interval. */
  publicationsPerSec: number;
  /** Messages delivered to subscribers per second (one publication to N subscribers counts N). */
  deliveriesPerSec: number;
  /** Client command latency over the interval: commands answered and their percentiles. */
  commands: LatencySummary;
  /** Event-loop delay over the interval (perf_hooks monitorEventLoopDelay). */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** Process memory now; a figure is absent when the OS refused it (e.g. rss at the open-file limit). */
  memory: { rssBytes?: number; heapUsedBytes?: number; heapTotalBytes?: number };
  /** Per namespace: channels with local subscribers and the sum of their subscribers. */
  namespaces: Record<string, NamespaceUsage>;
  /** Counters of each pipeline (e.g. `market`), totals since start. */
  pipelines: Record<string, PipelineCounters>;
  /**
   * Figures of parts registered by name (cache, tasks, models...): each provider's value as it
   * returned it, or `{error}` when it threw. Lets later parts add figures without a new field.
   */
  extra: Record<string, unknown>;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface NamespaceUsage {
  channels: number;
  subscribers: number;
}

/** Totals a pipeline keeps; see MarketPipeline's getters of the same names. */
export interface PipelineCounters {
  ticksIn: number;
  ticksDropped: number;
  published: number;
  publishErrors: number;
}
