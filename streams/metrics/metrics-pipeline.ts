import { Subject, asyncScheduler, filter, interval, map, startWith } from 'rxjs';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { ChannelPublisher, StreamLogger } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import type { MetricsSource, TimedReading } from './ports.js';
import type { MetricsSnapshot } from './snapshot.js';
import { toSnapshots } from './to-snapshots.js';

export const METRICS_CHANNEL = 'metrics';

export interface MetricsPipelineOptions {
  source: MetricsSource;
  publisher: ChannelPublisher;
  intervalMs: number;
  channel?: string;
  logger?: StreamLogger;
  /** Drives the interval and stamps the readings; virtual-time tests pass theirs. */
  scheduler?: SchedulerLike;
}

const silentLogger: StreamLogger = { warn: () => {}, error: () => {} };

/**
 * Every `intervalMs`: read the source, make a snapshot, publish it to `metrics` and hand it to
 * local listeners (the SSE stream). A reading is taken at start as the baseline, so the first
 * snapshot, one interval later, already has rates.
 *
 * Publishing is fire-and-forget: the channel keeps only the latest snapshot, so a failed publish
 * is counted and logged once, and the next interval simply tries again.
 */
export class MetricsPipeline {
  private readonly source: MetricsSource;
  private readonly publisher: ChannelPublisher;
  private readonly intervalMs: number;
  private readonly channel: string;
  private readonly logger: StreamLogger;
  private readonly scheduler: SchedulerLike;
  private readonly emitted = new Subject<MetricsSnapshot>();
  private subscription: Subscription | undefined;
  private latestSnapshot: MetricsSnapshot | undefined;
  private publishErrorCount = 0;
  private stopped = false;

  constructor(options: MetricsPipelineOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new InvalidOptionError('intervalMs', `must be a positive number of milliseconds, got ${options.intervalMs}`);
    }
    this.source = options.source;
    this.publisher = options.publisher;
    this.intervalMs = options.intervalMs;
    this.channel = options.channel ?? METRICS_CHANNEL;
    this.logger = options.logger ?? silentLogger;
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  /** Snapshots as they are taken (hot: a late subscriber starts with the next one; see `latest`). */
  get snapshots(): Observable<MetricsSnapshot> {
    return this.emitted.asObservable();
  }

  get latest(): MetricsSnapshot | undefined {
    return this.latestSnapshot;
  }

  get publishErrors(): number {
    return this.publishErrorCount;
  }

  get running(): boolean {
    return this.subscription !== undefined && !this.subscription.closed;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.subscription = interval(this.intervalMs, this.scheduler)
      .pipe(
        startWith(-1),
        map(() => this.read()),
        filter((timed): timed is TimedReading => timed !== undefined),
        toSnapshots(),
      )
      .subscribe((snapshot) => this.emit(snapshot));
  }

  /** Cancels the interval and completes the listeners of `snapshots`. Final: no restart. */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.stopped = true;
    this.emitted.complete();
  }

  /** A source that throws loses that interval, not the pipeline: the next reading spans both. */
  private read(): TimedReading | undefined {
    try {
      return { at: this.scheduler.now(), reading: this.source.read() };
    } catch (err) {
      this.logger.error({ err }, 'metrics source failed; interval skipped');
      return undefined;
    }
  }

  private emit(snapshot: MetricsSnapshot): void {
    this.latestSnapshot = snapshot;
    this.emitted.next(snapshot);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(this.publisher.publish(this.channel, snapshot));
    } catch (err) {
      this.onPublishError(err);
      return;
    }
    pending.catch((err: unknown) => this.onPublishError(err));
  }

  private onPublishError(err: unknown): void {
    // One line for the first failure and then one per 60 intervals, not one a second.
    if (this.publishErrorCount++ % 60 === 0) this.logger.warn({ err, channel: this.channel, publishErrors: this.publishErrorCount }, 'metrics publish failed');
  }
}
