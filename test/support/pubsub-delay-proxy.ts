import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Redis that slows down what Redis sends on subscriber connections
 * (those that sent SUBSCRIBE) by `delayMs`, in order, and nothing else: PUB/SUB messages then
 * arrive well after command replies sent later on other connections, as they may under load.
 */
export class PubSubDelayProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }, readonly delayMs: number) {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => {});
      }
      let subscriber = false;
      let releaseAt = 0;
      client.on('data', (chunk: Buffer) => {
        if (!subscriber && /subscribe/i.test(chunk.toString('latin1'))) subscriber = true;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!subscriber) {
          client.write(chunk);
          return;
        }
        // Every chunk waits the same time, and none overtakes the one before.
        releaseAt = Math.max(releaseAt, Date.now() + this.delayMs);
        setTimeout(() => client.write(chunk), releaseAt - Date.now());
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
