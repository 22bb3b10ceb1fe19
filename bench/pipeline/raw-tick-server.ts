import type { Tick } from '../../streams/index.js';
import { startRawPubSub } from '../peers/raw-pubsub.js';

/** A started raw tick server: the paced replay's baseline. */
export interface RawTickServer {
  port: number;
  /**
   * Publishes the ticks of one push to `ticks:SYM`, one frame per symbol (per 1,000 trades), as
   * the paced loop hands them over.
   */
  push(ticks: readonly Tick[]): void;
  connections(): number;
  /** Frames handed to subscriber sockets (one publication to N subscribers is N). */
  delivered(): number;
  stop(): void;
}

/** SuperNova's cap on the trades of one `ticks:` publication; a larger group goes out in several. */
const MAX_TRADES_PER_PUBLICATION = 1000;

interface Trade {
  price: number;
  size: number;
  ts: number;
}

/**
 * Bare uWebSockets.js pub/sub carrying the trades of each push to `ticks:SYM` in the same JSON
 * push shape and payload (`{"trades":[…]}`, one publication per symbol and push, in arrival order)
 * as SuperNova's `ticks:` channel, without the history offset: no validation, no bars, no
 * conflation, no actors. Subscribers of other channels get nothing.
 */
export async function startRawTickServer(): Promise<RawTickServer> {
  const server = await startRawPubSub();
  let delivered = 0;
  const publish = (channel: string, trades: Trade[]): void => {
    delivered += server.app.numSubscribers(channel);
    server.app.publish(channel, JSON.stringify({ push: { channel, pub: { data: { trades } } } }), false, false);
  };
  return {
    port: server.port,
    push(ticks) {
      for (const [symbol, trades] of tradesBySymbol(ticks)) {
        const channel = `ticks:${symbol}`;
        for (let i = 0; i < trades.length; i += MAX_TRADES_PER_PUBLICATION) publish(channel, trades.slice(i, i + MAX_TRADES_PER_PUBLICATION));
      }
    },
    connections: server.connections,
    delivered: () => delivered,
    stop: () => server.stop(),
  };
}

/** The push's trades by symbol, symbols in order of first appearance and trades in arrival order. */
function tradesBySymbol(ticks: readonly Tick[]): Map<string, Trade[]> {
  const groups = new Map<string, Trade[]>();
  for (const t of ticks) {
    const trade: Trade = { price: t.price, size: t.size, ts: t.ts };
    const group = groups.get(t.symbol);
    if (group) group.push(trade);
    else groups.set(t.symbol, [trade]);
  }
  return groups;
}
