/**
 * Child-process entry: the Socket.IO 4 baseline. Each socket joins the room named in its
 * handshake query (`channel`); a publication is one `io.to(room).emit('pub', data)`, the idiomatic
 * Socket.IO fan-out. WebSocket transport only, no per-message compression.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { runServerChild } from '../servers/server-child.js';

const DEFAULT_CHANNEL = 'bench:0';

await runServerChild(async () => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 64 * 1024 });
  io.on('connection', (socket) => {
    const q = socket.handshake.query['channel'];
    void socket.join(typeof q === 'string' && q ? q : DEFAULT_CHANNEL);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    publish: (channel, data) => {
      io.to(channel).emit('pub', data);
    },
    connections: () => io.engine.clientsCount,
    stop: () => new Promise<void>((resolve) => {
      io.disconnectSockets(true);
      void io.close(() => resolve());
    }),
  };
});
