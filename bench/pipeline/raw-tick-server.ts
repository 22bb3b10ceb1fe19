import type { Tick } from '../../streams/index.js';
import { startRawPubSub } from '../peers/raw-pubsub.js';

/** A started raw tick server: the paced replay's baseline. */
export interface RawTickServer {
  port: number;
  /** Publishes each tick to `ticks:SYM`, one frame per tick, as the paced loop hands them over. */
  push(ticks: readonly Tick[]): void;
  connections(): number;
  /** Messages handed to subscriber sockets (one publication to N subscribers is N). */
  delivered(): number;
  stop(): void;
}

/**
 * Bare uWebSockets.js pub/sub carrying every trade to `ticks:SYM` in the same JSON push shape and
 * payload fields as SuperNova's `ticks:` channel (without the history offset): no validation, no
 * bars, no conflation, no actors. Subscribers of other channels get nothing.
 */
export async function startRawTickServer(): Promise<RawTickServer> {
  const server = await startRawPubSub();
  let delivered = 0;
  return {
    port: server.port,
    push(ticks) {
      for (const t of ticks) {
        const channel = `ticks:${t.symbol}`;
        delivered += server.app.numSubscribers(channel);
        server.app.publish(channel, JSON.stringify({ push: { channel, pub: { data: { price: t.price, size: t.size, ts: t.ts } } } }), false, false);
      }
    },
    connections: server.connections,
    delivered: () => delivered,
    stop: () => server.stop(),
  };
}
