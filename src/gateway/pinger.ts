import { type Codec, DisconnectCode } from '../protocol/index.js';
import type { DisconnectCode as Code } from '../protocol/index.js';

/** What the sweep reads of a session: a WebSocket one, or a stream one (HTTP-streaming, SSE). */
export interface PingedSession {
  readonly closed: boolean;
  readonly openedAt: number;
  readonly connectedAt: number;
  readonly lastPongAt: number;
  close(code: Code): void;
}

export interface PingerOptions {
  intervalMs: number;
  pongTimeoutMs: number;
  sessions: Iterable<PingedSession>;
  publish: (codec: Codec, bytes: string | Uint8Array) => void;
  codecs: readonly Codec[];
}

/**
 * Server pings as one native publish per encoding, then one sweep per period: a connected
 * client that did not answer in time gets 3012, a socket that never sent connect gets 3502.
 * The sweep is O(connections) every ping period, never per message.
 */
export class Pinger {
  private interval: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private readonly pings: { codec: Codec; bytes: string | Uint8Array }[];

  constructor(private readonly opts: PingerOptions) {
    this.pings = opts.codecs.map((codec) => ({ codec, bytes: codec.encodeOne({}) }));
  }

  start(): void {
    if (this.interval) return;
    this.interval = setInterval(() => this.ping(), this.opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.check);
    this.interval = undefined;
    this.check = undefined;
  }

  private ping(): void {
    const sentAt = Date.now();
    for (const p of this.pings) this.opts.publish(p.codec, p.bytes);
    clearTimeout(this.check);
    this.check = setTimeout(() => this.sweep(sentAt), this.opts.pongTimeoutMs);
  }

  private sweep(sentAt: number): void {
    for (const s of [...this.opts.sessions]) {
      if (s.closed) continue;
      if (s.connectedAt === 0) {
        if (sentAt - s.openedAt > this.opts.intervalMs) s.close(DisconnectCode.Stale);
      } else if (s.connectedAt < sentAt && s.lastPongAt < sentAt) {
        s.close(DisconnectCode.NoPong);
      }
    }
  }
}
