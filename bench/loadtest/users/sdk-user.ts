import { Centrifuge, type Subscription } from 'centrifuge';
import WebSocket from 'ws';
import { epochMs } from '../../shared/clock.js';
import type { Recorder } from '../recorder.js';
import { hasTimestamp, RequestError, type LoadPayload, type LoadUser } from './load-user.js';

export interface SdkUserOptions {
  url: string;
  channel: string;
  requestTimeoutMs: number;
}

/**
 * A user on the official centrifuge-js SDK, as a dashboard would run it: the SDK answers pings,
 * and its own timeouts and error codes are what the user sees. Reconnects are counted as errors.
 */
export class SdkUser implements LoadUser {
  private readonly client: Centrifuge;
  private sub: Subscription | undefined;
  private closing = false;
  private connectedOnce = false;
  private pending = 0;

  constructor(private readonly o: SdkUserOptions, private readonly recorder: Recorder) {
    this.client = new Centrifuge(o.url, { websocket: WebSocket, timeout: o.requestTimeoutMs, minReconnectDelay: 200, maxReconnectDelay: 2000 });
  }

  get inFlight(): number {
    return this.pending;
  }

  connect(): Promise<void> {
    const sub = (this.sub = this.client.newSubscription(this.o.channel));
    sub.on('publication', (ctx) => {
      if (hasTimestamp(ctx.data)) this.recorder.delivered(epochMs() - ctx.data.ts);
    });
    this.client.on('connecting', (ctx) => {
      if (this.connectedOnce && !this.closing) this.recorder.error(`disconnect:${ctx.code}`);
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RequestError('connect:timeout', `no subscription within ${this.o.requestTimeoutMs} ms`)), this.o.requestTimeoutMs);
      sub.once('subscribed', () => {
        clearTimeout(timer);
        this.connectedOnce = true;
        resolve();
      });
      sub.once('error', (ctx) => {
        clearTimeout(timer);
        reject(new RequestError(`subscribe:${ctx.error.code}`, ctx.error.message));
      });
      sub.subscribe();
      this.client.connect();
    });
  }

  publish(data: LoadPayload): Promise<void> {
    return this.track(this.sub ? this.sub.publish(data) : Promise.reject(new RequestError('publish:not-subscribed', 'not subscribed')));
  }

  rpc(method: string, params: unknown): Promise<void> {
    return this.track(this.client.rpc(method, params));
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => {
      if (this.client.state === 'disconnected') resolve();
      else this.client.once('disconnected', () => resolve());
    });
    this.client.disconnect();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    this.client.removeAllListeners();
  }

  private async track(request: Promise<unknown>): Promise<void> {
    this.pending++;
    try {
      await request;
    } finally {
      this.pending--;
    }
  }
}
