import type { Logger } from 'pino';
import { MetricsPipeline, type ChannelPublisher, type MetricsSnapshot } from '../../streams/index.js';
import type { Router } from '../http/index.js';
import { apiReport, type ApiReport } from './api-report.js';
import { EngineMetricsSource, type EngineReadings } from './engine-metrics-source.js';
import type { EngineMetrics } from './engine-metrics.js';
import { ExtraFigures } from './extra-figures.js';
import { GcObserver } from './gc-observer.js';
import { MetricsEventStreams } from './metrics-event-streams.js';
import { ProcessSampler } from './process-sampler.js';
import { resourcesReport, type ResourcesReport } from './resources-report.js';

export interface MetricsServiceOptions {
  metrics: EngineMetrics;
  readings: EngineReadings;
  /** Where the snapshots are published (the broker). */
  publisher: ChannelPublisher;
  intervalMs: number;
  sse: { maxClients: number; heartbeatMs: number; maxSkipped: number };
  log: Logger;
}

/**
 * The live side of the metrics: the snapshot pipeline on the `metrics` channel, its SSE stream,
 * and the `/performance/metrics/*` reports, with the process samplers they share.
 */
export class MetricsService {
  /** Register figures of other parts here; they appear under `extra` in every snapshot. */
  readonly extra = new ExtraFigures();
  private readonly sampler = new ProcessSampler();
  private readonly gc = new GcObserver();
  private readonly pipeline: MetricsPipeline;
  private readonly streams: MetricsEventStreams;

  constructor(private readonly options: MetricsServiceOptions) {
    const source = new EngineMetricsSource(options.readings, { sampler: this.sampler, commandLatency: options.metrics.intervalCommandLatency, extra: this.extra });
    this.pipeline = new MetricsPipeline({ source, publisher: options.publisher, intervalMs: options.intervalMs, logger: options.log });
    this.streams = new MetricsEventStreams({ snapshots: this.pipeline.snapshots, latest: () => this.pipeline.latest, ...options.sse });
    this.extra.register('sse', () => ({ clients: this.streams.clientCount, dropped: this.streams.dropped }));
  }

  get latest(): MetricsSnapshot | undefined {
    return this.pipeline.latest;
  }

  get sseClients(): number {
    return this.streams.clientCount;
  }

  /** SSE clients dropped for not reading, since start. */
  get sseDropped(): number {
    return this.streams.dropped;
  }

  /** What `/performance/metrics/resources` answers: CPU, memory, event loop, GC. */
  resources(): ResourcesReport {
    return resourcesReport({ sampler: this.sampler, gc: this.gc, startedAt: this.options.readings.startedAt });
  }

  /** What `/performance/metrics/api` answers: latency and errors by route and command. */
  api(): Promise<ApiReport> {
    return apiReport(this.options.metrics);
  }

  routes(router: Router): void {
    router.get('/performance/metrics/resources', () => ({ body: this.resources() }));
    router.get('/performance/metrics/api', async () => ({ body: await this.api() }));
    router.stream('/performance/metrics/stream', this.streams.handler);
  }

  start(): void {
    this.sampler.start();
    this.gc.start();
    this.pipeline.start();
    this.streams.start();
  }

  /** Ends every SSE stream, the interval, the GC observer and the delay monitor. */
  stop(): void {
    this.streams.stop();
    this.pipeline.stop();
    this.gc.stop();
    this.sampler.stop();
  }
}
