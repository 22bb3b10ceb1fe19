import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { epochMs } from '../shared/clock.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import { scanTextFrame, type LineSink } from '../clients/push-scanner.js';
import { RawWsClient } from '../clients/raw-ws-client.js';
import { RawStreamClient } from './raw-stream-client.js';
import { scanSseLines } from './stream-lines.js';
import { MAX_CHECKSUMS, type ReaderOpen, type ReaderSnapshot, type ReaderStatus } from './reader-protocol.js';

const MAX_PROBLEMS = 5;
const SUBSCRIBE_ID = 2;
const RAMP_TICK_MS = 20;
const OPENING = 0;
const SUBSCRIBED = 1;
const FAILED = 2;
const CHECKSUM_MOD = 2 ** 32;

type Session = RawWsClient | RawStreamClient;

/**
 * The sessions of one reader process, all of one transport and one channel. Sessions are opened
 * at a bounded rate with a bounded number connecting at once (the server's accept queue and
 * connect path are not what is measured); once subscribed they only count publications per
 * session and time their stamps: one clock read per TCP read, the stamp found by the push
 * scanner, no JSON.parse but for the two replies of each session.
 */
export class ReaderPool {
  private spec: ReaderOpen | undefined;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly sessions: Session[] = [];
  private counts = new Uint32Array(0);
  private lastTs = new Float64Array(0);
  /** Per session: the sum of its stamps in µs modulo 2^32 (see ReaderSnapshot.checksums). */
  private sums = new Uint32Array(0);
  /** Per session: OPENING, SUBSCRIBED or FAILED. */
  private sessionState = new Uint8Array(0);
  private readonly histogram = new LatencyHistogram();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly problems: string[] = [];
  private rampTimer: NodeJS.Timeout | undefined;
  private rampStart = 0;
  private started = 0;
  private inFlight = 0;
  private subscribed = 0;
  private failed = 0;
  private lost = 0;
  private stopping = false;
  private received = 0;
  private unstamped = 0;
  private nonIncreasing = 0;
  private pings = 0;
  private replyErrors = 0;
  /** Receipt time of the read being scanned, and whose read it is. */
  private now = 0;
  private current = -1;

  private readonly sink: LineSink = {
    push: (ts, first) => {
      if (first) this.delivered(ts);
    },
    ping: () => {
      this.pings++;
      // The engine of this bench pings once per 10 minutes; only a WebSocket can answer in-band.
      const s = this.sessions[this.current];
      if (s instanceof RawWsClient) s.sendText('{}');
    },
    other: (line) => this.onReply(line),
  };

  open(spec: ReaderOpen): void {
    if (this.spec) throw new Error('this reader is already open');
    this.spec = spec;
    this.counts = new Uint32Array(spec.count);
    this.lastTs = new Float64Array(spec.count);
    this.sums = new Uint32Array(spec.count);
    this.sessionState = new Uint8Array(spec.count);
    this.rampStart = performance.now();
    this.ramp();
  }

  status(): ReaderStatus {
    return { started: this.started, subscribed: this.subscribed, failed: this.failed, lost: this.lost, problems: [...this.problems] };
  }

  reset(): void {
    this.counts.fill(0);
    this.lastTs.fill(0);
    this.sums.fill(0);
    this.received = this.unstamped = this.nonIncreasing = this.pings = this.replyErrors = this.lost = 0;
    this.histogram.reset();
    this.loopDelay.disable();
    this.loopDelay.reset();
    this.loopDelay.enable();
  }

  get receivedCount(): number {
    return this.received;
  }

  snapshot(expected: number): ReaderSnapshot {
    let complete = 0;
    let short = 0;
    let over = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    let sessions = 0;
    const checksums = new Map<number, number>();
    for (let i = 0; i < this.counts.length; i++) {
      // Sessions that never subscribed are counted as failed, not as short of publications.
      if (this.sessionState[i] !== SUBSCRIBED) continue;
      sessions++;
      const n = this.counts[i] ?? 0;
      if (n === expected) complete++;
      else if (n < expected) short++;
      else over++;
      const sum = this.sums[i] ?? 0;
      if (checksums.has(sum) || checksums.size < MAX_CHECKSUMS) checksums.set(sum, (checksums.get(sum) ?? 0) + 1);
      if (n < min) min = n;
      if (n > max) max = n;
    }
    return {
      sessions, received: this.received, complete, short, over,
      minPerSession: sessions === 0 ? 0 : min, maxPerSession: max,
      checksums: [...checksums], unstamped: this.unstamped, nonIncreasing: this.nonIncreasing, pings: this.pings, replyErrors: this.replyErrors, lost: this.lost,
      loopDelayP99Ms: this.loopDelay.percentile(99) / 1e6, loopDelayMaxMs: this.loopDelay.max / 1e6,
      histogram: this.histogram.toSparse(), problems: [...this.problems],
    };
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.rampTimer);
    this.loopDelay.disable();
    for (const s of this.sessions) s.close();
    const deadline = Date.now() + graceMs;
    while (this.sessions.some((s) => s.state !== 'closed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.sessions) if (s instanceof RawWsClient) s.destroy();
  }

  /** Opens what is due by the ramp's rate, within the in-flight bound, then waits for the next tick. */
  private ramp(): void {
    const spec = this.spec;
    clearTimeout(this.rampTimer);
    if (!spec || this.stopping) return;
    const due = Math.min(spec.count, Math.floor(((performance.now() - this.rampStart) / 1000) * spec.openPerSecond) + 1);
    while (this.started < due && this.inFlight < spec.maxInFlight) this.openOne(spec, this.started++);
    if (this.started < spec.count) this.rampTimer = setTimeout(() => this.ramp(), RAMP_TICK_MS);
  }

  private openOne(spec: ReaderOpen, index: number): void {
    this.inFlight++;
    const commands = `{"id":1,"connect":{}}\n{"id":${SUBSCRIBE_ID},"subscribe":{"channel":${JSON.stringify(spec.channel)}}}`;
    let session: Session;
    if (spec.transport === 'websocket') {
      session = new RawWsClient({ host: spec.host, port: spec.port, path: '/connection/websocket', handshakeTimeoutMs: spec.handshakeTimeoutMs, readBuffer: this.readBuffer }, {
        open: (c) => c.sendText(commands),
        read: () => this.onRead(index),
        text: (_c, data, start, end) => scanTextFrame(data, this.sink, start, end),
        close: (_c, code, problem) => this.onClose(index, problem ?? `closed ${code}`),
      });
    } else {
      const scan = spec.transport === 'sse' ? scanSseLines : scanTextFrame;
      session = new RawStreamClient({ host: spec.host, port: spec.port, transport: spec.transport, commands, handshakeTimeoutMs: spec.handshakeTimeoutMs, readBuffer: this.readBuffer }, {
        open: () => {},
        read: () => this.onRead(index),
        lines: (_c, buf, start, end) => scan(buf, this.sink, start, end),
        close: (_c, problem) => this.onClose(index, problem),
      });
    }
    this.sessions.push(session);
    session.connect();
  }

  private onRead(index: number): void {
    this.now = epochMs();
    this.current = index;
  }

  private delivered(ts: number): void {
    const i = this.current;
    this.received++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    if (Number.isNaN(ts)) {
      this.unstamped++;
      return;
    }
    this.histogram.recordMs(this.now - ts);
    this.sums[i] = ((this.sums[i] ?? 0) + (Math.round(ts * 1000) % CHECKSUM_MOD)) % CHECKSUM_MOD;
    if (ts <= (this.lastTs[i] ?? 0)) this.nonIncreasing++;
    this.lastTs[i] = ts;
  }

  /** A reply: the subscribe one marks the session ready; anything else is an error or a disconnect. */
  private onReply(line: Buffer): void {
    let reply: { id?: unknown; error?: unknown; subscribe?: unknown; push?: { disconnect?: unknown } };
    try {
      reply = JSON.parse(line.toString('utf8')) as typeof reply;
    } catch {
      this.replyErrors++;
      this.note(`unparseable line: ${line.toString('utf8', 0, 80)}`);
      return;
    }
    if (reply.error !== undefined) {
      this.replyErrors++;
      this.note(`error reply: ${JSON.stringify(reply.error)}`);
      // A session refused its connect or subscribe will never subscribe: its slot goes to the next.
      if (this.sessionState[this.current] === OPENING) {
        this.sessions[this.current]?.close();
        this.openingFailed(this.current, 'refused');
      }
    } else if (reply.push?.disconnect !== undefined) {
      this.note(`disconnect push: ${JSON.stringify(reply.push.disconnect)}`);
    } else if (reply.id === SUBSCRIBE_ID && reply.subscribe !== undefined && this.sessionState[this.current] === OPENING) {
      this.sessionState[this.current] = SUBSCRIBED;
      this.subscribed++;
      this.inFlight--;
      this.ramp();
    }
  }

  private onClose(index: number, problem: string | undefined): void {
    if (this.stopping) return;
    const state = this.sessionState[index];
    if (state === SUBSCRIBED) {
      this.lost++;
      this.note(`session ${index} lost: ${problem ?? 'closed'}`);
    } else if (state === OPENING) this.openingFailed(index, problem ?? 'closed');
  }

  private openingFailed(index: number, problem: string): void {
    this.sessionState[index] = FAILED;
    this.failed++;
    this.inFlight--;
    this.note(`session ${index} failed: ${problem}`);
    this.ramp();
  }

  private note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }
}
