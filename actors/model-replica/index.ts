export { ModelReplicas, type ModelReplicasOptions } from './model-replicas.js';
export { modelReplicasFromConfig, sentimentScorerFromConfig, type ModelReplicasConfig, type ModelReplicasDeps } from './from-config.js';
export { registerModelMetrics, type LatencyFigures } from './model-metrics.js';
export type { ModelReplicasReport, ModelStats } from './stats.js';
