import { io, type Socket } from 'socket.io-client';
import { epochMs } from '../shared/clock.js';
import { LatencyHistogram } from '../shared/latency-histogram.js';
import type { OpenSpec, WorkerSnapshot, WorkerStatus } from '../shared/worker-protocol.js';
import type { LoadPool } from './load-pool.js';

const MAX_PROBLEMS = 5;

/**
 * Socket.IO subscribers on the official socket.io-client (WebSocket transport only): the way a
 * Socket.IO app's users connect. It costs far more per message than the raw client, which is fine
 * for a baseline that saturates two orders of magnitude lower.
 */
export class SocketIoPool implements LoadPool {
  private readonly sockets: Socket[] = [];
  private readonly histogram = new LatencyHistogram();
  private readonly closeCodes: Record<string, number> = {};
  private readonly problems: string[] = [];
  private spec: OpenSpec | undefined;
  private next = 0;
  private inFlight = 0;
  private started = 0;
  private open = 0;
  private failed = 0;
  private closed = 0;
  private received = 0;
  private unstamped = 0;
  private stopping = false;

  start(spec: OpenSpec): void {
    if (this.spec) throw new Error('this pool is already started');
    this.spec = spec;
    this.pump();
  }

  status(): WorkerStatus {
    // A connected Socket.IO socket has joined its room: the server joins it in its connection handler.
    return { started: this.started, open: this.open, subscribed: this.open, failed: this.failed, closed: this.closed, problems: [...this.problems] };
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
      // Engine.IO pings are answered inside the client; they are not counted here.
      pingsAnswered: 0,
      replyErrors: 0,
      closed: this.closed,
      closeCodes: { ...this.closeCodes },
      histogram: withHistogram ? this.histogram.toSparse() : { buckets: [], maxUs: 0, sumUs: 0 },
    };
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const s of this.sockets) s.disconnect();
    const deadline = Date.now() + graceMs;
    while (this.sockets.some((s) => s.connected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  private pump(): void {
    const spec = this.spec;
    if (!spec || this.stopping) return;
    while (this.inFlight < spec.maxInFlight && this.next < spec.count) {
      const i = this.next++;
      const global = spec.firstIndex + i;
      const channel = spec.channels[global % spec.channels.length] ?? '';
      const localAddress = spec.sourceAddresses[Math.floor(global / spec.perAddress)];
      const socket = io(`http://${spec.host}:${spec.port}`, {
        transports: ['websocket'],
        query: { channel },
        reconnection: false,
        forceNew: true,
        timeout: spec.handshakeTimeoutMs,
        // Passed through to the ws client: binds the source address above one address' ports.
        ...(localAddress ? { localAddress } : {}),
      });
      this.sockets.push(socket);
      this.inFlight++;
      this.started++;
      let opened = false;
      socket.on('pub', (data: { ts?: unknown }) => {
        this.received++;
        if (typeof data?.ts === 'number') this.histogram.recordMs(epochMs() - data.ts);
        else this.unstamped++;
      });
      socket.once('connect', () => {
        opened = true;
        this.inFlight--;
        this.open++;
        this.pump();
      });
      socket.once('connect_error', (err) => {
        this.inFlight--;
        this.failed++;
        this.note(err.message);
        this.pump();
      });
      socket.on('disconnect', (reason) => {
        if (!opened) return;
        this.open--;
        this.closed++;
        if (!this.stopping) this.closeCodes[reason] = (this.closeCodes[reason] ?? 0) + 1;
      });
    }
  }

  private note(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }
}
