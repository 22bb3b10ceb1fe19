import { io, type Socket } from 'socket.io-client';
import { epochMs } from '../shared/clock.js';
import type { OpenSpec } from '../shared/worker-protocol.js';
import { ConnectionPool } from './connection-pool.js';

/**
 * Socket.IO subscribers on the official socket.io-client (WebSocket transport only): the way a
 * Socket.IO app's users connect. It costs far more per message than the raw client, which is fine
 * for a baseline that saturates two orders of magnitude lower. Engine.IO pings are answered inside
 * the client and not counted.
 */
export class SocketIoPool extends ConnectionPool {
  private readonly sockets: Socket[] = [];

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const s of this.sockets) s.disconnect();
    const deadline = Date.now() + graceMs;
    while (this.sockets.some((s) => s.connected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  protected openOne(spec: OpenSpec, channel: string, localAddress: string | undefined): void {
    const socket = io(`http://${spec.host}:${spec.port}`, {
      transports: ['websocket'],
      query: { channel },
      reconnection: false,
      forceNew: true,
      timeout: spec.handshakeTimeoutMs,
      // Passed through to the ws client: binds the source address above one address' ports.
      ...(localAddress ? { localAddress } : {}),
    });
    this.sockets.push(socket);
    let opened = false;
    socket.on('pub', (data: { ts?: unknown }) => this.delivered(typeof data?.ts === 'number' ? data.ts : undefined, epochMs()));
    socket.once('connect', () => {
      opened = true;
      // A connected Socket.IO socket has joined its room: the server joins it in its connection handler.
      this.subscribed++;
      this.opened();
    });
    socket.once('connect_error', (err) => this.openFailed(err.message));
    socket.on('disconnect', (reason) => {
      if (opened) this.lost(reason);
    });
  }
}
