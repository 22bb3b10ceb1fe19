import { MAX_TRADES_PER_PUBLICATION, tickChannel, type Tick, type TickColumnsJson } from '../../streams/index.js';
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

/**
 * Bare uWebSockets.js pub/sub carrying the trades of each push to `ticks:SYM` in the same JSON
 * push shape and payload (`{"price":[…],"size":[…],"ts":[…]}`, one publication per symbol and
 * push, in arrival order) as SuperNova's `ticks:` channel, without the history offset: no
 * validation, no bars, no conflation, no actors. Subscribers of other channels get nothing.
 */
export async function startRawTickServer(): Promise<RawTickServer> {
  const server = await startRawPubSub();
  let delivered = 0;
  const publish = (channel: string, data: TickColumnsJson): void => {
    delivered += server.app.numSubscribers(channel);
    server.app.publish(channel, JSON.stringify({ push: { channel, pub: { data } } }), false, false);
  };
  return {
    port: server.port,
    push(ticks) {
      for (const [symbol, all] of tradesBySymbol(ticks)) {
        const channel = tickChannel(symbol);
        for (let i = 0; i < all.ts.length; i += MAX_TRADES_PER_PUBLICATION) {
          const to = i + MAX_TRADES_PER_PUBLICATION;
          publish(channel, { price: all.price.slice(i, to), size: all.size.slice(i, to), ts: all.ts.slice(i, to) });
        }
      }
    },
    connections: server.connections,
    delivered: () => delivered,
    stop: () => server.stop(),
  };
}

/** The push's trades by symbol, symbols in order of first appearance and trades in arrival order. */
function tradesBySymbol(ticks: readonly Tick[]): Map<string, TickColumnsJson> {
  const groups = new Map<string, TickColumnsJson>();
  for (const t of ticks) {
    let group = groups.get(t.symbol);
    if (!group) {
      group = { price: [], size: [], ts: [] };
      groups.set(t.symbol, group);
    }
    group.price.push(t.price);
    group.size.push(t.size);
    group.ts.push(t.ts);
  }
  return groups;
}
