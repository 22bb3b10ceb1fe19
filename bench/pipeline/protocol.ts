import type { Rpc } from '../shared/ipc.js';
import type { Timebase } from '../shared/worker-protocol.js';

/** What the pipeline bench's server child understands. */

export interface PipelineServerArgs {
  maxLifetimeMs: number;
  file: string;
}

export interface PipelineServerReady {
  pid: number;
  ticks: number;
}

/** SUPERNOVA_FANOUT_BATCH_MAX and SUPERNOVA_FANOUT_FLUSH_MS of an engine; unset keeps the default. */
export interface FanoutSettings {
  fanoutBatchMax?: number;
  fanoutFlushMs?: number;
}

export interface HandLoopOutcome {
  elapsedMs: number;
  closedBars: number;
}

export interface EngineOutcome {
  elapsedMs: number;
  busyWaits: number;
  /** Messages the engine handed to subscriber sockets (one publication to N subscribers is N). */
  delivered: number;
}

export interface Verification {
  bars: number;
  /** The first bar that differs between the hand loop and the engine's bars API, or null. */
  difference: string | null;
}

export interface PacedPlan {
  /** Time of day (ET, HH:MM) the window starts at. */
  from: string;
  /** Wall-clock length of the window. */
  seconds: number;
  speed: number;
  /** The channels whose subscribers are timed (their messages carry the tick's event time). */
  timedChannels: string[];
}

export interface PacedOutcome {
  ticks: number;
  elapsedMs: number;
  /** Latest a batch was pushed after its first tick was due: the pacing's own lag. */
  maxLagMs: number;
  /**
   * The pacing lag's 99th percentile over ticks (each tick counts its batch's lag): how much of a
   * due-to-receipt percentile is the push being late rather than publish-to-receipt.
   */
  lagP99Ms: number;
  delivered: number;
  /** The server process's CPU time over the window (user + system), and its event-loop delay. */
  cpuMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export type PipelineServerRpc = {
  handLoop: Rpc<null, HandLoopOutcome>;
  /** Stops the current engine (if any) and starts a fresh one; answers its port. */
  freshEngine: Rpc<FanoutSettings, { port: number }>;
  /** Stops the current engine or raw server and starts the raw tick server (the paced baseline). */
  freshRaw: Rpc<null, { port: number }>;
  engineRun: Rpc<null, EngineOutcome>;
  /** Compares the current engine's closed bars with the hand loop's. */
  verify: Rpc<null, Verification>;
  /** The timebase a paced window will follow once started at `wallOrigin`. */
  pacedTimebase: Rpc<PacedPlan & { wallOrigin: number }, Timebase>;
  /** Replays the window into whichever is running: the engine's ingest or the raw server. */
  paced: Rpc<PacedPlan & { wallOrigin: number }, PacedOutcome>;
  connections: Rpc<null, number>;
  /**
   * A full collection: the earlier phases' engines are garbage by the paced window, and their
   * collection (once a 200 ms pause) must not land inside it. Answers how long it took.
   */
  collectGarbage: Rpc<null, number>;
  stop: Rpc<null, null>;
};
