import type { Rpc } from './ipc.js';

/** What every HTTP server child (SuperNova, Fastify, node:http) understands. */

export interface HttpServerArgs {
  maxLifetimeMs: number;
  /** The route under test, e.g. /api/v1/market/AAPL. */
  path: string;
  /** The peers answer with these bytes, as a cache would (SuperNova answers with its own). */
  body: string;
  contentType: string;
}

export interface HttpServerReady {
  port: number;
  pid: number;
}

export type HttpServerRpc = {
  stop: Rpc<null, null>;
};
