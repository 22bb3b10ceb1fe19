import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer in front of several engines, as a Kubernetes Service is: each new
 * connection goes to the backend chosen now; `dropAll()` cuts every open connection (the node
 * behind it died), so the SDK reconnects and lands wherever `route` points then.
 */
export class TcpBalancer {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  port = 0;

  constructor(public route: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.route, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.open.add(s);
        s.on('close', () => this.open.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return `ws://127.0.0.1:${this.port}/connection/websocket`;
  }

  dropAll(): void {
    for (const s of this.open) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
