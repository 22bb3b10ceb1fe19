/**
 * Child-process entry: the baseline. Bare uWebSockets.js pub/sub with no protocol, no actors and
 * no validation: what the same machine does when nothing but native fan-out runs. It sends the
 * same JSON push bytes as SuperNova, so bytes per message match and only the engine differs.
 */
import * as uWS from 'uWebSockets.js';
import { runServerChild } from '../servers/server-child.js';
import { pushFrame } from '../servers/push-frame.js';

const PATH = '/connection/websocket';
const DEFAULT_CHANNEL = 'bench:0';

interface PeerSocket {
  channel: string;
}

await runServerChild(async (args) => {
  const app = uWS.App();
  let connections = 0;
  app.ws<PeerSocket>(PATH, {
    compression: 0,
    maxPayloadLength: 64 * 1024,
    // Same limits as the SuperNova run: slow subscribers queue rather than being skipped early.
    maxBackpressure: 16 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    // The channel comes with the upgrade (?channel=) because the raw protocol has no subscribe message.
    upgrade: (res, req, context) => {
      const channel = req.getQuery('channel') || DEFAULT_CHANNEL;
      res.upgrade<PeerSocket>({ channel }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
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
    app.listen('127.0.0.1', args.port ?? 0, (socket) => (socket ? resolve(socket) : reject(new Error(`raw peer cannot listen on 127.0.0.1:${args.port ?? 0}`))));
  });
  return {
    port: uWS.us_socket_local_port(listenSocket),
    publish: (channel, data) => {
      app.publish(channel, pushFrame(channel, data), false, false);
    },
    connections: () => connections,
    stop: async () => {
      uWS.us_listen_socket_close(listenSocket);
      app.close();
    },
  };
});
