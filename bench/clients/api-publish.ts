import { Agent, request } from 'node:http';
import { epochMs } from '../shared/clock.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { ApiPublisherStats } from '../shared/publisher-protocol.js';

export interface ApiPublishOptions {
  /** `http://host:port` of the node. */
  url: string;
  apiKey: string;
  maxInFlight: number;
  maxQueued: number;
  requestTimeoutMs?: number;
}

interface Due {
  channel: string;
  seq: number;
}

const MAX_PROBLEMS = 5;

/**
 * Publishes `{ts, seq}` through the server API (`POST /api/publish`), as a backend does, with a
 * bounded number of requests in flight over keep-alive connections. `ts` is taken when the
 * request is written, so publish-to-receipt excludes the time a publication waited here for a
 * free request; a publication that finds the queue full is skipped and counted, so the offered
 * load never turns into an unbounded backlog in this process.
 */
export class ApiPublishClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly queue: Due[] = [];
  private queueHead = 0;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly ack = new LatencyHistogram();
  private sent = 0;
  private ok = 0;
  private failed = 0;
  private skipped = 0;
  private maxQueued = 0;
  private problems: string[] = [];
  /** Publications per channel the node did not accept (skipped ones were never sent). */
  private readonly failedOf = new Map<string, number>();

  constructor(private readonly o: ApiPublishOptions) {
    const url = new URL(o.url);
    this.host = url.hostname;
    this.port = Number(url.port) || 80;
    this.auth = `apikey ${o.apiKey}`;
    this.timeoutMs = o.requestTimeoutMs ?? 10_000;
    // Idle connections are closed here before the node would (uWebSockets.js ends an idle HTTP
    // connection after 10 s): a request written into a connection the node is closing fails
    // with "socket hang up", which at a low rate hit the connections the agent reuses least.
    this.agent = new Agent({ keepAlive: true, maxSockets: o.maxInFlight, timeout: 5000 });
  }

  /** Sends now when a request is free, else queues; false (and counted) when the queue is full. */
  publish(channel: string, seq: number): boolean {
    if (this.inFlight < this.o.maxInFlight) {
      this.send(channel, seq);
      return true;
    }
    const queued = this.queue.length - this.queueHead;
    if (queued >= this.o.maxQueued) {
      this.skipped++;
      return false;
    }
    this.queue.push({ channel, seq });
    if (queued + 1 > this.maxQueued) this.maxQueued = queued + 1;
    return true;
  }

  /** Resolves true once nothing is queued or in flight, false if that takes longer than `timeoutMs`. */
  settle(timeoutMs: number): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Publications of `channel` sent since the last reset that the node did not accept. */
  failedIn(channel: string): number {
    return this.failedOf.get(channel) ?? 0;
  }

  resetStats(): void {
    this.sent = this.ok = this.failed = this.skipped = this.maxQueued = 0;
    this.problems = [];
    this.failedOf.clear();
    this.ack.reset();
  }

  stats(): ApiPublisherStats {
    return {
      sent: this.sent, ok: this.ok, failed: this.failed, skipped: this.skipped,
      ackP50Ms: this.ack.percentileUs(50) / 1000, ackP99Ms: this.ack.percentileUs(99) / 1000, ackMaxMs: this.ack.maxValueUs / 1000,
      maxQueued: this.maxQueued, problems: [...this.problems],
    };
  }

  close(): void {
    this.agent.destroy();
  }

  private idle(): boolean {
    return this.inFlight === 0 && this.queue.length === this.queueHead;
  }

  private send(channel: string, seq: number): void {
    this.inFlight++;
    this.sent++;
    const body = `{"channel":${JSON.stringify(channel)},"data":{"ts":${epochMs()},"seq":${seq}}}`;
    const t0 = performance.now();
    let settled = false;
    const done = (problem: string | undefined) => {
      if (settled) return;
      settled = true;
      this.ack.recordMs(performance.now() - t0);
      if (problem === undefined) this.ok++;
      else {
        this.failed++;
        this.failedOf.set(channel, (this.failedOf.get(channel) ?? 0) + 1);
        if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
      }
      this.inFlight--;
      this.next();
    };
    const req = request({
      host: this.host, port: this.port, path: '/api/publish', method: 'POST', agent: this.agent,
      headers: { authorization: this.auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        done(res.statusCode === 200 && !text.startsWith('{"error"') ? undefined : `HTTP ${res.statusCode ?? '-'}: ${text.slice(0, 120)}`);
      });
      res.on('error', (err) => done(err.message));
    });
    req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
    req.on('error', (err) => done(err.message));
    req.end(body);
  }

  private next(): void {
    while (this.inFlight < this.o.maxInFlight && this.queueHead < this.queue.length) {
      const due = this.queue[this.queueHead++] as Due;
      this.send(due.channel, due.seq);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    if (this.idle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
