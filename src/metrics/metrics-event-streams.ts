import type { Observable, Subscription } from 'rxjs';
import type { MetricsSnapshot } from '../../streams/index.js';
import { HttpError, type EventStream, type StreamHandler } from '../http/index.js';

export interface MetricsEventStreamsOptions {
  /** Where snapshots come from, as they are taken. */
  snapshots: Observable<MetricsSnapshot>;
  /** The newest snapshot, sent to a client as soon as it connects. */
  latest(): MetricsSnapshot | undefined;
  /** Concurrent streams; one more is refused with 503. */
  maxClients: number;
  /** Period of the comment heartbeat. */
  heartbeatMs: number;
  /** Snapshots a client may miss in a row, because its socket is still full, before it is dropped. */
  maxSkipped: number;
}

interface Client {
  stream: EventStream;
  skipped: number;
}

/**
 * `GET /performance/metrics/stream`: the metrics snapshots as server-sent events (`event: metrics`,
 * `id: <seq>`, `data: <json>`), plus a comment heartbeat.
 *
 * Bounded: at most `maxClients` streams; each one holds at most one unsent write (uWS keeps it),
 * because a client whose socket is still full skips snapshots (it gets the newest once it drains,
 * never a backlog); after `maxSkipped` skipped snapshots in a row its connection is closed.
 */
export class MetricsEventStreams {
  private readonly clients = new Set<Client>();
  private subscription: Subscription | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private droppedCount = 0;

  constructor(private readonly options: MetricsEventStreamsOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Clients dropped for being too slow, since start. */
  get dropped(): number {
    return this.droppedCount;
  }

  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.subscription = this.options.snapshots.subscribe((snapshot) => this.broadcast(snapshot));
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  /** Ends every stream and releases the timer and the subscription. */
  stop(): void {
    this.state = 'stopped';
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const client of [...this.clients]) client.stream.end();
    this.clients.clear();
  }

  /** The router's stream handler. */
  readonly handler: StreamHandler = () => {
    if (this.state !== 'running') throw new HttpError(503, 'UNAVAILABLE', 'the metrics stream is not running');
    if (this.clients.size >= this.options.maxClients) {
      throw new HttpError(503, 'TOO_MANY_STREAMS', `at most ${this.options.maxClients} metrics streams at once (SUPERNOVA_SSE_MAX_CLIENTS)`);
    }
    return (stream) => {
      const client: Client = { stream, skipped: 0 };
      this.clients.add(client);
      stream.onClose(() => this.clients.delete(client));
      const latest = this.options.latest();
      if (latest) this.send(client, latest.seq, JSON.stringify(latest));
      else stream.comment('connected');
    };
  };

  private broadcast(snapshot: MetricsSnapshot): void {
    if (this.clients.size === 0) return;
    const data = JSON.stringify(snapshot);
    for (const client of [...this.clients]) {
      if (!client.stream.backpressured) {
        this.send(client, snapshot.seq, data);
        continue;
      }
      if (++client.skipped > this.options.maxSkipped) {
        this.droppedCount++;
        client.stream.abort();
      }
    }
  }

  private send(client: Client, seq: number, data: string): void {
    client.skipped = 0;
    client.stream.send('metrics', data, String(seq));
  }

  private beat(): void {
    for (const client of this.clients) if (!client.stream.backpressured) client.stream.comment('heartbeat');
  }
}
