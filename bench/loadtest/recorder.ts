import { LatencyHistogram } from '../shared/latency-histogram.js';
import { latencySummary, type LatencySummary } from './latency-summary.js';

/** What went wrong, by kind: request errors carry the server's error code (e.g. `publish:111`). */
export type ErrorCounts = Record<string, number>;

/** One point of the timeline: what happened during the interval ending at `t`. */
export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  requestsPerS: number;
  messagesPerS: number;
  errors: number;
  connectedUsers: number;
  responseP50Ms: number;
  responseP99Ms: number;
  deliveryP50Ms: number;
  deliveryP99Ms: number;
  /** Server figures, when a sampler could read them. */
  serverRssMiB?: number | undefined;
  serverHeapMiB?: number | undefined;
  serverConnections?: number | undefined;
}

export interface RecorderTotals {
  requests: number;
  messages: number;
  errors: number;
  errorsByKind: ErrorCounts;
  response: LatencySummary;
  delivery: LatencySummary;
}

/** The timeline keeps at most this many points; beyond it, neighbours are merged (resolution halves). */
export const MAX_TIMELINE_POINTS = 4000;

/**
 * Everything the load users observe, in constant memory per run: two whole-run histograms, two
 * per-interval ones for the timeline, and counters. Users call it synchronously from socket
 * callbacks, so it does no I/O and allocates nothing per sample.
 */
export class Recorder {
  readonly response = new LatencyHistogram();
  readonly delivery = new LatencyHistogram();
  private readonly intervalResponse = new LatencyHistogram();
  private readonly intervalDelivery = new LatencyHistogram();
  private readonly errorsByKind: ErrorCounts = {};
  private readonly points: TimelinePoint[] = [];
  private requests = 0;
  private messages = 0;
  private errors = 0;
  private intervalRequests = 0;
  private intervalMessages = 0;
  private intervalErrors = 0;
  private lastTickAt: number;
  connectedUsers = 0;

  constructor(private readonly startedAt = performance.now()) {
    this.lastTickAt = startedAt;
  }

  requestDone(latencyMs: number): void {
    this.requests++;
    this.intervalRequests++;
    this.response.recordMs(latencyMs);
    this.intervalResponse.recordMs(latencyMs);
  }

  /** A failed request counts as a request and as an error. */
  requestFailed(kind: string): void {
    this.requests++;
    this.intervalRequests++;
    this.error(kind);
  }

  error(kind: string): void {
    this.errors++;
    this.intervalErrors++;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
  }

  delivered(latencyMs: number): void {
    this.messages++;
    this.intervalMessages++;
    this.delivery.recordMs(latencyMs);
    this.intervalDelivery.recordMs(latencyMs);
  }

  /** Closes the current interval as a timeline point, with the server figures sampled meanwhile. */
  tick(server: Pick<TimelinePoint, 'serverRssMiB' | 'serverHeapMiB' | 'serverConnections'> = {}, now = performance.now()): TimelinePoint {
    const seconds = Math.max(1e-3, (now - this.lastTickAt) / 1000);
    const ms = (h: LatencyHistogram, p: number) => h.percentileUs(p) / 1000;
    const point: TimelinePoint = {
      t: (now - this.startedAt) / 1000,
      requestsPerS: this.intervalRequests / seconds,
      messagesPerS: this.intervalMessages / seconds,
      errors: this.intervalErrors,
      connectedUsers: this.connectedUsers,
      responseP50Ms: ms(this.intervalResponse, 50),
      responseP99Ms: ms(this.intervalResponse, 99),
      deliveryP50Ms: ms(this.intervalDelivery, 50),
      deliveryP99Ms: ms(this.intervalDelivery, 99),
      ...server,
    };
    this.lastTickAt = now;
    this.intervalRequests = 0;
    this.intervalMessages = 0;
    this.intervalErrors = 0;
    this.intervalResponse.reset();
    this.intervalDelivery.reset();
    this.points.push(point);
    if (this.points.length > MAX_TIMELINE_POINTS) halveResolution(this.points);
    return point;
  }

  get timeline(): readonly TimelinePoint[] {
    return this.points;
  }

  totals(): RecorderTotals {
    return {
      requests: this.requests,
      messages: this.messages,
      errors: this.errors,
      errorsByKind: { ...this.errorsByKind },
      response: latencySummary(this.response),
      delivery: latencySummary(this.delivery),
    };
  }
}

/** Merges neighbours in place: rates are averaged, errors summed, latencies take the worse. */
function halveResolution(points: TimelinePoint[]): void {
  const merged: TimelinePoint[] = [];
  for (let i = 0; i < points.length; i += 2) {
    const a = points[i];
    const b = points[i + 1];
    if (!a) continue;
    if (!b) {
      merged.push(a);
      continue;
    }
    merged.push({
      ...b,
      requestsPerS: (a.requestsPerS + b.requestsPerS) / 2,
      messagesPerS: (a.messagesPerS + b.messagesPerS) / 2,
      errors: a.errors + b.errors,
      responseP50Ms: Math.max(a.responseP50Ms, b.responseP50Ms),
      responseP99Ms: Math.max(a.responseP99Ms, b.responseP99Ms),
      deliveryP50Ms: Math.max(a.deliveryP50Ms, b.deliveryP50Ms),
      deliveryP99Ms: Math.max(a.deliveryP99Ms, b.deliveryP99Ms),
    });
  }
  points.splice(0, points.length, ...merged);
}
