import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { ServerArgs, ServerReady, ServerRpc } from '../shared/server-protocol.js';
import { runPublisher, type PublishFn } from './publisher-loop.js';

/** What a benchmarked server offers the shared child runtime. */
export interface BenchServer {
  port: number;
  publish: PublishFn;
  connections(): number;
  stop(): Promise<void>;
}

/**
 * The IPC side shared by both server children, so SuperNova and the raw peer are driven by the
 * very same publisher loop and differ only in what `publish` does.
 */
export async function runServerChild(start: (args: ServerArgs) => Promise<BenchServer>): Promise<void> {
  const args = childArgs<ServerArgs>();
  guardLifetime(args.maxLifetimeMs);
  const server = await start(args);
  let publishing = false;

  serveParent<ServerRpc>({
    publish: async (plan) => {
      if (publishing) throw new Error('a publish phase is already running');
      publishing = true;
      try {
        return await runPublisher(plan, server.publish);
      } finally {
        publishing = false;
      }
    },
    // RSS is read from outside; collecting first keeps garbage from inflating the per-connection figure.
    gc: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      return { heapUsedBytes: process.memoryUsage().heapUsed };
    },
    counts: () => ({ connections: server.connections() }),
    stop: stopThenExit(() => server.stop()),
  });

  const ready: ServerReady = { port: server.port, pid: process.pid };
  announceReady(ready);
}
