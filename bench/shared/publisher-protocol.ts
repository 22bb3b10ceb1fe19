import type { Rpc } from './ipc.js';
import type { ServerRpc } from './server-protocol.js';

/** What the server API publisher child (`clients/api-publisher.ts`) understands. */

export interface ApiPublisherArgs {
  maxLifetimeMs: number;
  /** `http://host:port` of the node that takes the publications. */
  url: string;
  /** Requests in flight at once, each on its own keep-alive connection. */
  maxInFlight: number;
  /**
   * Publications that fell due while every request was in flight wait here, at most this many;
   * past it they are skipped (and not expected): the node is then at its capacity.
   */
  maxQueued: number;
}

/** The publisher's side of the last phase. */
export interface ApiPublisherStats {
  sent: number;
  /** Answered 200 without an error. */
  ok: number;
  failed: number;
  /** Fell due while the queue was full: never sent. */
  skipped: number;
  /** `POST /api/publish` from the request's write to its whole answer. */
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  /** Longest the queue got. */
  maxQueued: number;
  /** The first few failures, for the operator. */
  problems: string[];
}

export type PublisherRpc = Pick<ServerRpc, 'publish' | 'stop'> & { stats: Rpc<null, ApiPublisherStats> };
