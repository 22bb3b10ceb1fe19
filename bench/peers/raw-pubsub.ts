import * as uWS from 'uWebSockets.js';

/** A bare uWebSockets.js pub/sub server: each socket subscribes to the channel of its upgrade. */
export interface RawPubSub {
  app: uWS.TemplatedApp;
  port: number;
  connections(): number;
  stop(): void;
}

const PATH = '/connection/websocket';

/**
 * The raw baselines' server: no protocol, no actors, no validation. The channel comes with the
 * upgrade (`?channel=`) because the raw protocol has no subscribe message; the limits are
 * SuperNova's, so slow subscribers queue rather than being dropped early.
 */
export async function startRawPubSub(o: { port?: number; defaultChannel?: string } = {}): Promise<RawPubSub> {
  const app = uWS.App();
  let connections = 0;
  app.ws<{ channel: string }>(PATH, {
    compression: 0,
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 16 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    upgrade: (res, req, context) => {
      const channel = req.getQuery('channel') || (o.defaultChannel ?? '');
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
  const port = o.port ?? 0;
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', port, (s) => (s ? resolve(s) : reject(new Error(`raw pub/sub server cannot listen on 127.0.0.1:${port}`))));
  });
  return {
    app,
    port: uWS.us_socket_local_port(listenSocket),
    connections: () => connections,
    stop() {
      uWS.us_listen_socket_close(listenSocket);
      app.close();
    },
  };
}
