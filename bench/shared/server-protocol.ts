import type { Rpc } from './ipc.js';

/** What both server children (SuperNova and the raw uWebSockets.js peer) understand. */

export interface ServerArgs {
  maxLifetimeMs: number;
  /** SuperNova only: its SUPERNOVA_FANOUT_BATCH_MAX; undefined keeps the engine's default. */
  fanoutBatchMax?: number;
  /**
   * Port to listen on; several server processes may share one (uWebSockets.js listens with
   * SO_REUSEPORT on Linux and the kernel spreads connections). Undefined: a free port.
   */
  port?: number;
}

export interface ServerReady {
  port: number;
  pid: number;
}

export interface PublishPlan {
  /** Publications per second into each channel. */
  ratePerChannel: number;
  durationMs: number;
  channels: string[];
  /** Publications due are sent in batches this far apart. */
  tickMs: number;
}

export interface PublishOutcome {
  published: number;
  /** Publications per channel, in the order of plan.channels. */
  perChannel: number[];
  elapsedMs: number;
  /** Latest a batch started after its due time: the publisher's own lag under load. */
  maxTickLagMs: number;
  failures: number;
}

export interface ServerCounts {
  connections: number;
}

export type ServerRpc = {
  publish: Rpc<PublishPlan, PublishOutcome>;
  /** A full collection (when the child runs with --expose-gc); answers the JS heap in use after it. */
  gc: Rpc<null, { heapUsedBytes: number }>;
  counts: Rpc<null, ServerCounts>;
  stop: Rpc<null, null>;
};
