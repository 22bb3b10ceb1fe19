export { EngineMetrics, type MetricsSources } from './engine-metrics.js';
