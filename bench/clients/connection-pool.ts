import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { OpenSpec, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';
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

  reset(): void {
    this.received = 0;
    this.unstamped = 0;
    this.histogram.reset();
  }

  snapshot(withHistogram: boolean): WorkerSnapshot {
    return {
      received: this.received,
      unstamped: this.unstamped,
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

  /** A publication arrived at `nowMs`, stamped `ts` at publish time (NaN or undefined: no stamp found). */
  protected delivered(ts: number | undefined, nowMs: number): void {
    this.received++;
    if (ts === undefined || Number.isNaN(ts)) this.unstamped++;
    else this.histogram.recordMs(nowMs - ts);
  }

  protected note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
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
