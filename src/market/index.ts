export { marketPipelineFrom, type MarketWiring } from './pipeline-from-config.js';
export { registerMarketMetrics, type MarketMetricSources } from './market-metrics.js';
