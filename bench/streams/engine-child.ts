/**
 * The engine of `bench:streams`, in its own process (pinned to its own core by the parent): no
 * feed, no sentiment, room for the sessions the parent opens. The API key comes in
 * SUPERNOVA_API_KEY, as the publisher gets it; answers over IPC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { Rpc } from '../shared/ipc.js';

export interface StreamEngineArgs {
  maxLifetimeMs: number;
  /** Sessions of the largest transport phase: the limits get twice that, for sessions still closing. */
  sessions: number;
}

export type StreamEngineRpc = {
  /** The engine's event-loop delay (ms) since the last reset; `reset` starts a new window. */
  loopDelay: Rpc<{ reset: boolean }, { p99Ms: number; maxMs: number }>;
  stop: Rpc<null, null>;
};

const args = childArgs<StreamEngineArgs>();
guardLifetime(args.maxLifetimeMs);
const room = args.sessions * 2 + 10;
const config = loadConfig({}, {
  port: 0, host: '127.0.0.1', feed: 'none', sentiment: false, dashboard: false, apiKey: process.env.SUPERNOVA_API_KEY ?? '', logLevel: 'silent',
  streamMaxSessions: room, maxConnections: room,
  // The readers answer no pings: a ping period longer than the run keeps 3012 out of the figures.
  pingIntervalMs: 600_000,
  // Every session sends connect and subscribe at once during the ramp; the limiter is not under test.
  commandsPerSecond: 100_000,
  commandBurst: 100_000,
  // The bench's channel lives in a namespace without presence and join/leave pushes: in `public:`
  // every subscribe sends a join to every session already there, n² messages over a ramp.
  namespaces: [{ name: 'bench', historySize: 0 }],
});
const engine = new Engine({ config, logger: pino({ level: 'silent' }) });
const { port } = await engine.start();

// Tells a stalled engine (its own work, or a core shared with other processes) from a slow reader.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

serveParent<StreamEngineRpc>({
  loopDelay: ({ reset }) => {
    const out = { p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 };
    if (reset) loop.reset();
    return out;
  },
  stop: stopThenExit(() => engine.stop()),
});
announceReady({ port, pid: process.pid });
