import type { Registry } from 'prom-client';
import type { SupernovaConfig } from '../../src/config/index.js';
import { InProcessScorer } from '../../src/ml/in-process-scorer.js';
import type { SentimentScorer } from '../../src/ml/scorer.js';
import type { RedisConnector } from '../../src/redis/index.js';
import type { Supervisor } from '../runtime/index.js';
import { ModelReplicas, type ModelReplicasOptions } from './model-replicas.js';

export type ModelReplicasConfig = Pick<SupernovaConfig,
  | 'mlModelDir' | 'mlBackend' | 'mlReplicas' | 'mlMicroBatchMax' | 'mlMicroBatchWaitMs' | 'mlTimeoutMs' | 'mlMaxQueued'
  | 'mlCacheMaxItems' | 'mlCacheMaxBytes' | 'mlCacheTtlMs' | 'mlModelsMax' | 'mlWorkerNice' | 'redisPrefix' | 'cacheTierTimeoutMs'>;

export interface ModelReplicasDeps {
  runtime: { supervisor(name: string): Supervisor };
  /** L2 of the inference cache when given (SUPERNOVA_REDIS_URL). */
  redis?: RedisConnector | undefined;
  registry?: Registry;
  log?: ModelReplicasOptions['log'];
}

/** The replicas the configuration describes (SUPERNOVA_ML_REPLICAS of at least 1). */
export function modelReplicasFromConfig(c: ModelReplicasConfig, deps: ModelReplicasDeps): ModelReplicas {
  if (c.mlReplicas < 1) throw new RangeError('SUPERNOVA_ML_REPLICAS=0 scores on the calling thread: use sentimentScorerFromConfig (InProcessScorer)');
  return new ModelReplicas({
    runtime: deps.runtime, modelDir: c.mlModelDir, backend: c.mlBackend, replicas: c.mlReplicas,
    batchMax: c.mlMicroBatchMax, batchWaitMs: c.mlMicroBatchWaitMs, timeoutMs: c.mlTimeoutMs, maxQueued: c.mlMaxQueued,
    cache: { maxItems: c.mlCacheMaxItems, maxBytes: c.mlCacheMaxBytes, ttlMs: c.mlCacheTtlMs },
    modelsMax: c.mlModelsMax, workerNice: c.mlWorkerNice,
    ...(deps.redis ? { redis: { connector: deps.redis, prefix: c.redisPrefix, timeoutMs: c.cacheTierTimeoutMs } } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
}

/** The engine's scorer: the replicas, or with SUPERNOVA_ML_REPLICAS=0 the model on the calling thread. */
export function sentimentScorerFromConfig(c: ModelReplicasConfig, deps: ModelReplicasDeps): SentimentScorer {
  if (c.mlReplicas === 0) return new InProcessScorer({ modelDir: c.mlModelDir, backend: c.mlBackend });
  return modelReplicasFromConfig(c, deps);
}
