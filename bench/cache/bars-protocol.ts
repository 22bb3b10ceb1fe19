import type { Rpc } from '../shared/ipc.js';

/** What the bars-archive server child is started with. */
export interface BarsServerArgs {
  maxLifetimeMs: number;
  databaseUrl: string;
  /** SUPERNOVA_CACHE_READS: through the cache, or to PostgreSQL each time. */
  cacheReads: boolean;
}

export interface BarsServerReady {
  port: number;
  pid: number;
}

export type BarsServerRpc = {
  stop: Rpc<null, null>;
};
