/**
 * Child-process entry: the `ws` baseline. A plain `ws` server that fans out the way most Node
 * apps do, by looping over the sockets of a channel in JavaScript. Same bytes per message as
 * SuperNova, encoded once per publication; the channel comes with the upgrade (?channel=).
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { runServerChild } from '../servers/server-child.js';
import { pushFrame } from '../servers/push-frame.js';

const PATH = '/connection/websocket';
const DEFAULT_CHANNEL = 'bench:0';

await runServerChild(async () => {
  const channels = new Map<string, Set<WebSocket>>();
  let connections = 0;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: PATH, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws, req) => {
    const channel = new URL(req.url ?? '/', 'http://x').searchParams.get('channel') || DEFAULT_CHANNEL;
    let set = channels.get(channel);
    if (!set) channels.set(channel, (set = new Set()));
    set.add(ws);
    connections++;
    ws.on('close', () => {
      set.delete(ws);
      connections--;
    });
    ws.on('error', () => ws.terminate());
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    publish: (channel, data) => {
      const frame = Buffer.from(pushFrame(channel, data));
      for (const ws of channels.get(channel) ?? []) ws.send(frame, { binary: false });
    },
    connections: () => connections,
    stop: () => new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
  };
});
