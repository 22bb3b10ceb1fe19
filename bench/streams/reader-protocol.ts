import type { Rpc } from '../shared/ipc.js';
import type { SparseHistogram } from '../shared/latency-histogram.js';
import type { StreamTransport } from './raw-stream-client.js';

/** What a `bench:streams` reader process (`streams/reader-worker.ts`) understands. */

export type Transport = 'websocket' | StreamTransport;

export interface ReaderArgs {
  maxLifetimeMs: number;
}

export interface ReaderOpen {
  transport: Transport;
  host: string;
  port: number;
  channel: string;
  /** Sessions this process holds. */
  count: number;
  /** Ramp: sessions started per second at most (this process' share of the run's rate). */
  openPerSecond: number;
  /** Sessions connecting at once at most: one is in flight until its subscribe reply. */
  maxInFlight: number;
  handshakeTimeoutMs: number;
}

export interface ReaderStatus {
  started: number;
  subscribed: number;
  failed: number;
  /** Subscribed sessions that closed (not by us). */
  lost: number;
  problems: string[];
}

export interface ReaderSnapshot {
  /** Subscribed sessions (the ones the counts below cover). */
  sessions: number;
  /** Publications received, one per message, whichever session. */
  received: number;
  /** Sessions that received exactly `expected` publications, fewer, more. */
  complete: number;
  short: number;
  over: number;
  minPerSession: number;
  maxPerSession: number;
  /** Publications whose stamp could not be read (should stay 0). */
  unstamped: number;
  /**
   * Subscribed sessions per checksum of the stamps they received (a sum of the stamps in µs,
   * modulo 2^32): sessions that got the same publications share one. At most MAX_CHECKSUMS entries.
   */
  checksums: [number, number][];
  /** Publications whose stamp was not above the session's previous one: repeated, or reordered between concurrent API requests. */
  nonIncreasing: number;
  pings: number;
  replyErrors: number;
  lost: number;
  /** This process' event-loop delay over the measured window (ms): how far it fell behind itself. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  histogram: { buckets: SparseHistogram; maxUs: number; sumUs: number };
  problems: string[];
}

/** Distinct checksums a reader reports at most (the rest are left out: already a failed run). */
export const MAX_CHECKSUMS = 16;

export type ReaderRpc = {
  open: Rpc<ReaderOpen, null>;
  status: Rpc<null, ReaderStatus>;
  /** Zeroes every count and the histogram: the measured window starts. */
  reset: Rpc<null, null>;
  /** Publications received since the reset (cheap: polled while waiting for stragglers). */
  received: Rpc<null, number>;
  snapshot: Rpc<{ expected: number }, ReaderSnapshot>;
  stop: Rpc<null, null>;
};
