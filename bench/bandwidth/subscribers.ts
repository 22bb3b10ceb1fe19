import type { Socket } from 'node:net';
import WebSocket from 'ws';

/**
 * Raw `ws` subscribers of one channel, each offering permessage-deflate as browsers do, that count
 * what arrives: messages (one JSON line each) and bytes read off the TCP socket (frames, headers
 * and all), so a compressed and an uncompressed run are compared by what crossed the wire.
 */
export class SubscriberPool {
  private readonly sockets: WebSocket[] = [];
  private received = 0;

  constructor(private readonly url: string, private readonly channel: string, private readonly subscribe: Record<string, unknown>) {}

  get messages(): number {
    return this.received;
  }

  /** Bytes read by every socket so far. */
  get bytesRead(): number {
    let n = 0;
    for (const ws of this.sockets) n += (ws as unknown as { _socket?: Socket })._socket?.bytesRead ?? 0;
    return n;
  }

  /** How many sockets negotiated permessage-deflate. */
  get deflating(): number {
    return this.sockets.filter((ws) => ws.extensions.includes('permessage-deflate')).length;
  }

  async open(count: number, concurrency = 50): Promise<void> {
    for (let i = 0; i < count; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, () => this.openOne()));
    }
  }

  private openOne(): Promise<void> {
    const ws = new WebSocket(this.url, { perMessageDeflate: true });
    this.sockets.push(ws);
    return new Promise((resolve, reject) => {
      let state: 'connecting' | 'subscribing' | 'ready' = 'connecting';
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, connect: {} })));
      ws.on('message', (data: Buffer) => {
        if (state === 'ready') {
          let lines = 1;
          for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++;
          this.received += lines;
          return;
        }
        const text = data.toString();
        if (state === 'connecting' && text.includes('"connect"')) {
          state = 'subscribing';
          ws.send(JSON.stringify({ id: 2, subscribe: { channel: this.channel, ...this.subscribe } }));
        } else if (state === 'subscribing' && text.includes('"id":2')) {
          if (text.includes('"error"')) reject(new Error(`subscribe refused: ${text}`));
          state = 'ready';
          resolve();
        } else if (text === '{}') {
          ws.send('{}');
        }
      });
    });
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.length = 0;
  }
}
