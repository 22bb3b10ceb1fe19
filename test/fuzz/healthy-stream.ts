import type { Centrifuge, Subscription } from 'centrifuge';
import { performance } from 'node:perf_hooks';
import { connected, sdkClient, subscribed } from '../support/client.js';
import type { PauseWatch } from './pause-watch.js';

export interface HealthyFigures {
  published: number;
  publishFailures: Record<string, number>;
  received: number;
  /** Publications whose offset did not follow the one before. */
  gaps: number;
  /** Longest time between two publications reaching the client while the publisher ran. */
  maxIntervalMs: number;
  /** Longest time from the publish request to the client. */
  maxLatencyMs: number;
  /** Longest server API publish request. */
  maxPublishMs: number;
  disconnects: number;
  unsubscribes: number;
}

/**
 * A well-behaved client beside the fuzz: the real centrifuge-js SDK subscribed to a recoverable
 * channel that the test publishes into through the server API every few milliseconds. Whatever
 * the fuzz does, it must keep receiving every publication, in order and on time.
 */
export class HealthyStream {
  private client: Centrifuge | undefined;
  private sub: Subscription | undefined;
  private running = false;
  private publisher: Promise<void> | undefined;
  private seq = 0;
  private lastOffset: number | undefined;
  private lastAt = 0;
  /** Accepted by the API, not arrived yet: seq to the time of the request. */
  private readonly pending = new Map<number, number>();
  /** Arrived before the API's answer did. */
  private readonly early = new Set<number>();
  readonly figures: HealthyFigures = {
    published: 0, publishFailures: {}, received: 0, gaps: 0, maxIntervalMs: 0, maxLatencyMs: 0, maxPublishMs: 0, disconnects: 0, unsubscribes: 0,
  };

  /** `watch`: the harness's own stalls, taken out of every duration measured here. */
  constructor(private readonly o: { url: string; http: string; apiKey: string; channel: string; periodMs: number; watch: PauseWatch }) {}

  async start(): Promise<void> {
    const client = sdkClient(this.o.url);
    this.client = client;
    await connected(client);
    client.on('disconnected', () => { this.figures.disconnects++; });
    client.on('connecting', () => { this.figures.disconnects++; });
    const sub = await subscribed(client, this.o.channel);
    this.sub = sub;
    sub.on('unsubscribed', () => { this.figures.unsubscribes++; });
    sub.on('subscribing', () => { this.figures.unsubscribes++; });
    sub.on('publication', (ctx) => {
      const now = performance.now();
      const f = this.figures;
      f.received++;
      if (ctx.offset !== undefined) {
        if (this.lastOffset !== undefined && ctx.offset !== this.lastOffset + 1) f.gaps++;
        this.lastOffset = ctx.offset;
      }
      const data = ctx.data as { seq?: number; sentAt?: number };
      if (typeof data.seq === 'number' && !this.pending.delete(data.seq)) this.early.add(data.seq);
      if (typeof data.sentAt === 'number') f.maxLatencyMs = Math.max(f.maxLatencyMs, Math.round(this.o.watch.elapsed(data.sentAt, now)));
      if (this.running && this.lastAt > 0) f.maxIntervalMs = Math.max(f.maxIntervalMs, Math.round(this.o.watch.elapsed(this.lastAt, now)));
      this.lastAt = now;
    });
    this.running = true;
    this.lastAt = performance.now();
    this.publisher = this.publish();
  }

  /** Publications the API accepted that have not arrived. */
  missing(): number {
    return this.pending.size;
  }

  /** How long the oldest accepted publication that has not arrived has been on its way (0: none). */
  waitingMs(): number {
    let oldest = Infinity;
    for (const at of this.pending.values()) oldest = Math.min(oldest, at);
    return oldest === Infinity ? 0 : Math.round(this.o.watch.elapsed(oldest));
  }

  async stopPublishing(): Promise<void> {
    this.running = false;
    await this.publisher;
  }

  stop(): void {
    this.running = false;
    this.client?.disconnect();
  }

  private async publish(): Promise<void> {
    while (this.running) {
      // performance.now() of this process: the receipt is timed by the same clock.
      const started = performance.now();
      const seq = ++this.seq;
      try {
        const res = await fetch(`${this.o.http}/api/publish`, {
          method: 'POST',
          headers: { authorization: `apikey ${this.o.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ channel: this.o.channel, data: { seq, sentAt: started } }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          if (!this.early.delete(seq)) this.pending.set(seq, started);
          this.figures.published++;
        } else this.fail(String(res.status));
      } catch (err) {
        this.fail((err as Error).name);
      }
      this.figures.maxPublishMs = Math.max(this.figures.maxPublishMs, Math.round(this.o.watch.elapsed(started)));
      const took = performance.now() - started;
      if (took < this.o.periodMs) await new Promise((r) => setTimeout(r, this.o.periodMs - took));
    }
  }

  private fail(why: string): void {
    this.figures.publishFailures[why] = (this.figures.publishFailures[why] ?? 0) + 1;
  }
}
