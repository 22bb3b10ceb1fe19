import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { HttpServerArgs, HttpServerReady, HttpServerRpc } from '../shared/http-protocol.js';

/** A started HTTP server: its port and how to stop it. */
export interface RunningHttpServer {
  port: number;
  stop(): Promise<void>;
}

/** The IPC side shared by the HTTP server children: start, announce the port, stop on request. */
export async function runHttpServerChild(start: (args: HttpServerArgs) => Promise<RunningHttpServer>): Promise<void> {
  const args = childArgs<HttpServerArgs>();
  guardLifetime(args.maxLifetimeMs);
  // Ctrl-C reaches the whole process group; the parent stops this server itself.
  process.on('SIGINT', () => {});
  const server = await start(args);
  serveParent<HttpServerRpc>({
    stop: stopThenExit(() => server.stop()),
  });
  const ready: HttpServerReady = { port: server.port, pid: process.pid };
  announceReady(ready);
}
