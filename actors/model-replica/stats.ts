import type { ModelsReport } from '../../src/ml/scorer.js';
import type { InferenceCacheStats } from './inference-cache.js';
import type { LatencyFigures } from './model-metrics.js';
import type { RestartReason } from './replica.js';

/** The replicas' own counters (what the metrics read). */
export interface ModelStats {
  backend: string | null;
  version: string | null;
  versions: string[];
  replicas: number;
  ready: number;
  texts: number;
  batches: number;
  batchedTexts: number;
  queueDepth: number;
  inFlight: number;
  retries: number;
  restarts: Record<RestartReason, number>;
  refused: { overloaded: number; timeout: number; replica_failed: number };
  cache: InferenceCacheStats;
  tensors: number[];
  /** The last version load() brought in: how long each replica took to load it (out of the routing meanwhile). */
  lastSwap: { version: string; at: string; loadMs: number[]; evicted: string[] } | null;
}

export interface ModelReplicasReport extends ModelsReport {
  versions: string[];
  ready: number;
  batches: number;
  meanBatchSize: number | null;
  latency: LatencyFigures;
  inference: LatencyFigures;
  queueDepth: number;
  inFlight: number;
  cache: { l1: TierFigures; l2?: TierFigures & { up: boolean; skipped: number }; hitRate: number | null };
  restarts: Record<RestartReason, number>;
  retries: number;
  refused: ModelStats['refused'];
  tensors: number[];
  lastSwap: ModelStats['lastSwap'];
}

interface TierFigures {
  hits: number;
  misses: number;
  hitRate: number | null;
  items: number | null;
}

const rate = (hits: number, misses: number): number | null => (hits + misses === 0 ? null : Math.round((hits / (hits + misses)) * 10_000) / 10_000);

export function modelsReport(s: ModelStats, latency: LatencyFigures, inference: LatencyFigures): ModelReplicasReport {
  const l1 = s.cache.l1;
  const l2 = s.cache.l2;
  // A text is a hit when L1 or L2 had it; L2 is asked only what L1 missed.
  const hits = l1.hits + (l2?.hits ?? 0);
  return {
    backend: s.backend, version: s.version, versions: s.versions, replicas: s.replicas, ready: s.ready, texts: s.texts,
    batches: s.batches, meanBatchSize: s.batches === 0 ? null : Math.round((s.batchedTexts / s.batches) * 100) / 100,
    latency, inference, queueDepth: s.queueDepth, inFlight: s.inFlight,
    cache: {
      l1: { hits: l1.hits, misses: l1.misses, hitRate: rate(l1.hits, l1.misses), items: l1.items },
      ...(l2 ? { l2: { hits: l2.hits, misses: l2.misses, hitRate: rate(l2.hits, l2.misses), items: l2.items, up: l2.guard.up, skipped: l2.guard.skipped } } : {}),
      hitRate: rate(hits, l1.hits + l1.misses - hits),
    },
    restarts: s.restarts, retries: s.retries, refused: s.refused, tensors: s.tensors, lastSwap: s.lastSwap,
  };
}
