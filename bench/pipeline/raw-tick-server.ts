import * as uWS from 'uWebSockets.js';
import type { Tick } from '../../streams/index.js';

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

const PATH = '/connection/websocket';

/**
 * Bare uWebSockets.js pub/sub carrying every trade to `ticks:SYM` in the same JSON push shape and
 * payload fields as SuperNova's `ticks:` channel (without the history offset): no validation, no
 * bars, no conflation, no actors. The channel comes with the upgrade (`?channel=`), as for the
 * fan-out bench's raw peer; subscribers of other channels get nothing.
 */
export async function startRawTickServer(): Promise<RawTickServer> {
  const app = uWS.App();
  let connections = 0;
  let delivered = 0;
  app.ws<{ channel: string }>(PATH, {
    compression: 0,
    maxPayloadLength: 64 * 1024,
    // The engine's limits: slow subscribers queue rather than being dropped.
    maxBackpressure: 16 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade: (res, req, context) => {
      const channel = req.getQuery('channel') ?? '';
      res.upgrade({ channel }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      connections++;
      ws.subscribe(ws.getUserData().channel);
    },
    close: () => {
      connections--;
    },
  });
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('raw tick server: cannot listen on 127.0.0.1'))));
  });
  return {
    port: uWS.us_socket_local_port(listenSocket),
    push(ticks) {
      for (const t of ticks) {
        const channel = `ticks:${t.symbol}`;
        delivered += app.numSubscribers(channel);
        app.publish(channel, JSON.stringify({ push: { channel, pub: { data: { price: t.price, size: t.size, ts: t.ts } } } }), false, false);
      }
    },
    connections: () => connections,
    delivered: () => delivered,
    stop() {
      uWS.us_listen_socket_close(listenSocket);
      app.close();
    },
  };
}
