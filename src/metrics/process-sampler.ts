import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** What the process did over one interval (between two roll() calls). */
export interface ProcessInterval {
  /** Length of the interval in ms. */
  elapsedMs: number;
  cpu: { userMs: number; systemMs: number; /** user+system over wall time; above 100 with worker threads. */ percent: number };
  /** Event-loop delay beyond the sampling period, over the interval. */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** Share of the interval the event loop was busy (0..1). */
  eventLoopUtilization: number;
}

// The delay monitor samples every RESOLUTION_MS and reports the whole gap, period included.
const RESOLUTION_MS = 10;
const NS_PER_MS = 1e6;

/**
 * Samples CPU time, event-loop delay and utilization per interval. The metrics pipeline rolls it
 * once per snapshot, and the resources endpoint reports the last closed interval, so both speak
 * of the same span and nothing resets behind the other's back.
 */
export class ProcessSampler {
  private delay: IntervalHistogram | undefined;
  private since = performance.now();
  private cpuSince = process.cpuUsage();
  private eluSince: EventLoopUtilization = performance.eventLoopUtilization();
  private lastInterval: ProcessInterval | undefined;

  start(): void {
    if (this.delay) return;
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.delay.enable();
    this.since = performance.now();
    this.cpuSince = process.cpuUsage();
    this.eluSince = performance.eventLoopUtilization();
  }

  stop(): void {
    this.delay?.disable();
    this.delay = undefined;
  }

  /** The last closed interval; before the first roll, the time since start() so far. */
  get last(): ProcessInterval {
    return this.lastInterval ?? this.measure(false);
  }

  /** Closes the current interval and starts the next. */
  roll(): ProcessInterval {
    this.lastInterval = this.measure(true);
    return this.lastInterval;
  }

  private measure(reset: boolean): ProcessInterval {
    const now = performance.now();
    const elapsedMs = now - this.since;
    const cpu = process.cpuUsage(this.cpuSince);
    const elu = performance.eventLoopUtilization(this.eluSince);
    const h = this.delay;
    const lag = (ns: number) => Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
    const eventLoopLagMs = h && h.count > 0 ? { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max) } : { p50: 0, p99: 0, max: 0 };
    const userMs = cpu.user / 1000;
    const systemMs = cpu.system / 1000;
    if (reset) {
      this.since = now;
      this.cpuSince = process.cpuUsage();
      this.eluSince = performance.eventLoopUtilization();
      h?.reset();
    }
    return {
      elapsedMs,
      cpu: { userMs, systemMs, percent: elapsedMs > 0 ? ((userMs + systemMs) / elapsedMs) * 100 : 0 },
      eventLoopLagMs,
      eventLoopUtilization: elu.utilization,
    };
  }
}
