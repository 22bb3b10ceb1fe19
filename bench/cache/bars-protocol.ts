/** What the bars-archive server child is started with; it answers like the HTTP server children (ready: port, pid; rpc: stop). */
export interface BarsServerArgs {
  maxLifetimeMs: number;
  databaseUrl: string;
  /** SUPERNOVA_CACHE_READS: through the cache, or to PostgreSQL each time. */
  cacheReads: boolean;
}

export type { HttpServerReady as BarsServerReady, HttpServerRpc as BarsServerRpc } from '../shared/http-protocol.js';
