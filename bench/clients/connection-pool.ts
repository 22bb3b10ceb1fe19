import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { OpenSpec, Timebase, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';
import type { LoadPool } from './load-pool.js';

const MAX_PROBLEMS = 5;

/**
 * What every load pool shares, whatever its client: connections opened with a bounded number of
 * handshakes in flight (a burst of thousands of SYNs would overflow the listen backlog), and the
 * counters, latency histogram and close codes the orchestrator reads. A pool says how to open one
 * connection and reports back through opened / openFailed / lost / delivered.
 */
export abstract class ConnectionPool implements LoadPool {
  protected spec: OpenSpec | undefined;
  protected stopping = false;
  protected subscribed = 0;
  protected pingsAnswered = 0;
  protected replyErrors = 0;
  private readonly histogram = new LatencyHistogram();
  private readonly closeCodes: Record<string, number> = {};
  private readonly problems: string[] = [];
  private next = 0;
  private inFlight = 0;
  private started = 0;
  private open = 0;
  private failed = 0;
  private closed = 0;
  private received = 0;
  private unstamped = 0;
  private untimed = 0;
  private timebase: Timebase | null = null;

  /** Starts connection `channel` from `localAddress` (undefined: the kernel's choice). */
  protected abstract openOne(spec: OpenSpec, channel: string, localAddress: string | undefined): void;

  abstract stop(graceMs: number): Promise<void>;

  start(spec: OpenSpec): void {
    if (this.spec) throw new Error('this pool is already started');
    this.spec = spec;
    this.pump();
  }

  status(): WorkerStatus {
    return { started: this.started, open: this.open, subscribed: this.subscribed, failed: this.failed, closed: this.closed, problems: [...this.problems] };
  }

  setTimebase(timebase: Timebase | null): void {
    this.timebase = timebase;
  }

  reset(): void {
    this.received = 0;
    this.unstamped = 0;
    this.untimed = 0;
    this.histogram.reset();
  }

  snapshot(withHistogram: boolean): WorkerSnapshot {
    return {
      received: this.received,
      unstamped: this.unstamped,
      untimed: this.untimed,
      pingsAnswered: this.pingsAnswered,
      replyErrors: this.replyErrors,
      closed: this.closed,
      closeCodes: { ...this.closeCodes },
      histogram: withHistogram ? this.histogram.toSparse() : { buckets: [], maxUs: 0, sumUs: 0 },
    };
  }

  /** The handshake of one connection succeeded: its slot goes to the next one. */
  protected opened(): void {
    this.inFlight--;
    this.open++;
    this.pump();
  }

  protected openFailed(problem: string): void {
    this.inFlight--;
    this.failed++;
    this.note(problem);
    this.pump();
  }

  /** An open connection closed; closes we asked for at the end are not news, any other is. */
  protected lost(code: string, problem?: string): void {
    this.open--;
    this.closed++;
    if (this.stopping) return;
    this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1;
    if (problem !== undefined) this.note(problem);
  }

  /** Whether publications on `channel` are timed under the current timebase (all are without one). */
  protected timesChannel(channel: string): boolean {
    return this.timebase === null || this.timebase.channels.includes(channel);
  }

  /**
   * A publication arrived at `nowMs` on a connection that `timed` says is measured. `ts` is its
   * publish stamp, or with a timebase its event time (NaN or undefined: no stamp found).
   */
  protected delivered(ts: number | undefined, nowMs: number, timed = true): void {
    this.received++;
    if (this.timebase && !timed) this.untimed++;
    else this.time(ts, nowMs);
  }

  /**
   * A further stamp of the publication just delivered: a `ticks:` publication carries one event
   * time per trade, and each trade is a latency sample, while the count stays one per publication
   * so that it matches the server's deliveries.
   */
  protected furtherStamp(ts: number, nowMs: number, timed = true): void {
    if (!this.timebase || timed) this.time(ts, nowMs);
  }

  protected note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }

  /** One latency sample; a stamp that cannot be read is counted instead, as a client or server fault. */
  private time(ts: number | undefined, nowMs: number): void {
    const tb = this.timebase;
    if (ts === undefined || Number.isNaN(ts)) this.unstamped++;
    else if (tb) this.histogram.recordMs(nowMs - (tb.wallOrigin + (ts - tb.eventOrigin) / tb.speed));
    else this.histogram.recordMs(nowMs - ts);
  }

  private pump(): void {
    const spec = this.spec;
    if (!spec || this.stopping) return;
    while (this.inFlight < spec.maxInFlight && this.next < spec.count) {
      const global = spec.firstIndex + this.next++;
      this.inFlight++;
      this.started++;
      this.openOne(spec, spec.channels[global % spec.channels.length] ?? '', spec.sourceAddresses[Math.floor(global / spec.perAddress)]);
    }
  }
}
