import type { LatencySummary, MetricsSnapshot } from './snapshot.js';

/**
 * One reading of the engine, taken once per interval. Counters are running totals: the pipeline
 * turns their deltas into rates. Interval figures (latency, event-loop lag) cover the time since
 * the previous read(), so reading closes an interval and starts the next.
 */
export interface MetricsReading
  extends Pick<MetricsSnapshot, 'uptimeSec' | 'connections' | 'eventLoopLagMs' | 'memory' | 'namespaces' | 'pipelines' | 'extra'> {
  /** Publications fanned out since start. */
  publicationsTotal: number;
  /** Messages delivered to subscribers since start. */
  deliveriesTotal: number;
  commands: LatencySummary;
}

/**
 * Where the metrics pipeline reads the engine. `src/metrics` implements it over the gateway,
 * fan-out and process; tests pass a fake.
 */
export interface MetricsSource {
  read(): MetricsReading;
}

/** A reading and the scheduler time it was taken at. */
export interface TimedReading {
  at: number;
  reading: MetricsReading;
}
