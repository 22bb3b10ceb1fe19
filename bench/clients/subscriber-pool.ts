import { LatencyHistogram } from '../shared/latency-histogram.js';
import { epochMs } from '../shared/clock.js';
import type { OpenSpec, Timebase, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';
import { RawWsClient, type RawWsClientEvents } from './raw-ws-client.js';
import { scanTextFrame, type LineSink } from './push-scanner.js';

const MAX_PROBLEMS = 5;
const PONG = '{}';
const SUBSCRIBE_ID = 2;

/**
 * The subscribers of one load process: opens them with a bounded number of handshakes in flight
 * (a burst of thousands of SYNs would overflow the listen backlog), then only counts and times.
 */
export class SubscriberPool {
  private readonly clients: RawWsClient[] = [];
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private readonly histogram = new LatencyHistogram();
  private readonly closeCodes: Record<string, number> = {};
  private readonly problems: string[] = [];
  private spec: OpenSpec | undefined;
  private next = 0;
  private inFlight = 0;
  private started = 0;
  private open = 0;
  private subscribed = 0;
  private failed = 0;
  private closed = 0;
  private received = 0;
  private unstamped = 0;
  private untimed = 0;
  private pings = 0;
  private replyErrors = 0;
  /** Receipt time of the read being scanned: one clock read per read, not per message. */
  private now = 0;
  private current: RawWsClient | undefined;
  private stopping = false;
  private timebase: Timebase | null = null;
  /** Whether the socket being scanned is one the timebase times. */
  private currentTimed = true;
  private readonly channelOfClient = new Map<RawWsClient, string>();

  private readonly sink: LineSink = {
    push: (ts) => {
      this.received++;
      const tb = this.timebase;
      if (tb && !this.currentTimed) this.untimed++;
      else if (Number.isNaN(ts)) this.unstamped++;
      else if (tb) this.histogram.recordMs(this.now - (tb.wallOrigin + (ts - tb.eventOrigin) / tb.speed));
      else this.histogram.recordMs(this.now - ts);
    },
    ping: () => {
      this.pings++;
      this.current?.sendText(PONG);
    },
    other: (line) => this.onReply(line),
  };

  private readonly onRead = (): void => {
    this.now = epochMs();
  };

  private readonly onText = (client: RawWsClient, data: Buffer, start: number, end: number): void => {
    this.current = client;
    this.currentTimed = this.timebase === null || this.timebase.channels.includes(this.channelOfClient.get(client) ?? '');
    scanTextFrame(data, this.sink, start, end);
    this.current = undefined;
  };

  start(spec: OpenSpec): void {
    if (this.spec) throw new Error('this pool is already started');
    this.spec = spec;
    this.pump();
  }

  status(): WorkerStatus {
    return { started: this.started, open: this.open, subscribed: this.subscribed, failed: this.failed, closed: this.closed, problems: [...this.problems] };
  }

  /** Reads `ts` as event time from now on (see Timebase); null goes back to publish stamps. */
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
      pingsAnswered: this.pings,
      replyErrors: this.replyErrors,
      closed: this.closed,
      closeCodes: { ...this.closeCodes },
      histogram: withHistogram ? this.histogram.toSparse() : { buckets: [], maxUs: 0, sumUs: 0 },
    };
  }

  /** Closes every socket politely, then destroys what is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const c of this.clients) c.close();
    const deadline = Date.now() + graceMs;
    while (this.clients.some((c) => c.state !== 'closed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of this.clients) c.destroy();
  }

  private pump(): void {
    const spec = this.spec;
    if (!spec || this.stopping) return;
    while (this.inFlight < spec.maxInFlight && this.next < spec.count) {
      const i = this.next++;
      const global = spec.firstIndex + i;
      const localAddress = spec.sourceAddresses[Math.floor(global / spec.perAddress)];
      const path = spec.mode === 'raw' ? `${spec.path}?channel=${encodeURIComponent(this.channelOf(i))}` : spec.path;
      const client = new RawWsClient(
        { host: spec.host, port: spec.port, path, handshakeTimeoutMs: spec.handshakeTimeoutMs, readBuffer: this.readBuffer, ...(localAddress ? { localAddress } : {}) },
        this.eventsFor(spec, this.channelOf(i)),
      );
      this.clients.push(client);
      this.channelOfClient.set(client, this.channelOf(i));
      this.inFlight++;
      this.started++;
      client.connect();
    }
  }

  private eventsFor(spec: OpenSpec, channel: string): RawWsClientEvents {
    let opened = false;
    return {
      open: (client) => {
        opened = true;
        this.inFlight--;
        this.open++;
        // The raw peer subscribes in its open handler, before the 101 is flushed: open is subscribed.
        if (spec.mode === 'raw') this.subscribed++;
        else client.sendText(`{"id":1,"connect":{}}\n{"id":${SUBSCRIBE_ID},"subscribe":{"channel":${JSON.stringify(channel)}}}`);
        this.pump();
      },
      read: this.onRead,
      text: this.onText,
      close: (_client, code, problem) => {
        if (!opened) {
          this.inFlight--;
          this.failed++;
          this.note(problem ?? `closed ${code} before the upgrade`);
          this.pump();
          return;
        }
        this.open--;
        this.closed++;
        // Closes we asked for at the end are not news; any other is (3008 slow, 3012 no pong...).
        if (!this.stopping) {
          this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1;
          if (problem !== undefined) this.note(problem);
        }
      },
    };
  }

  private channelOf(i: number): string {
    const spec = this.spec;
    if (!spec) return '';
    return spec.channels[(spec.firstIndex + i) % spec.channels.length] ?? '';
  }

  private onReply(line: Buffer): void {
    let reply: { id?: unknown; error?: { code?: unknown; message?: unknown }; subscribe?: unknown; disconnect?: unknown };
    try {
      reply = JSON.parse(line.toString('utf8')) as typeof reply;
    } catch {
      this.replyErrors++;
      this.note(`unparseable frame: ${line.toString('utf8', 0, 80)}`);
      return;
    }
    if (reply.error) {
      this.replyErrors++;
      this.note(`error reply: ${JSON.stringify(reply.error)}`);
    } else if (reply.id === SUBSCRIBE_ID && reply.subscribe !== undefined) {
      this.subscribed++;
    }
  }

  private note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }
}
