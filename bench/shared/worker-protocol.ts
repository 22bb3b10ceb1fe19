import type { Rpc } from './ipc.js';

/** What a load worker understands. */

export type ClientMode = 'supernova' | 'supernova-protobuf' | 'raw' | 'socketio';

export interface WorkerArgs {
  maxLifetimeMs: number;
}

export interface OpenSpec {
  mode: ClientMode;
  host: string;
  port: number;
  path: string;
  /** Global index of this worker's first connection: channels and source addresses follow it. */
  firstIndex: number;
  count: number;
  /** Connection i subscribes to channels[i % channels.length]. */
  channels: string[];
  /** Connection i binds to sourceAddresses[floor(i / perAddress)]; empty lets the kernel choose. */
  sourceAddresses: string[];
  perAddress: number;
  maxInFlight: number;
  handshakeTimeoutMs: number;
}

export interface WorkerStatus {
  started: number;
  open: number;
  subscribed: number;
  failed: number;
  closed: number;
  /** Upgrade or subscribe failures, first few, for the operator. */
  problems: string[];
}

export interface WorkerSnapshot {
  /** Publications, one per push however many trades it carries: comparable with the server's deliveries. */
  received: number;
  /** Publications without a timestamp, plus timestamps that could not be read (should stay 0). */
  unstamped: number;
  /** Publications received by subscribers a timebase leaves untimed. */
  untimed: number;
  pingsAnswered: number;
  replyErrors: number;
  closed: number;
  closeCodes: Record<string, number>;
  histogram: { buckets: [number, number][]; maxUs: number; sumUs: number };
}

/**
 * How to read a publication's `ts` when it is an event time rather than a publish stamp (each
 * trade of a paced replay's `ticks:` publication has one): it was due at
 * `wallOrigin + (ts - eventOrigin) / speed` (ms since epoch).
 */
export interface Timebase {
  wallOrigin: number;
  eventOrigin: number;
  speed: number;
  /** Only subscribers of these channels are timed (others carry no event time, or a conflated one); the rest are counted. */
  channels: string[];
}

export type WorkerRpc = {
  open: Rpc<OpenSpec, null>;
  /** null: `ts` is a publish stamp again. */
  timebase: Rpc<Timebase | null, null>;
  status: Rpc<null, WorkerStatus>;
  reset: Rpc<null, null>;
  snapshot: Rpc<{ withHistogram: boolean }, WorkerSnapshot>;
  stop: Rpc<null, null>;
};
