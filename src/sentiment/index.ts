export { Analyzer, AnalyzeBusyError, scorerUnavailable, type AnalyzerOptions } from './analyzer.js';
export { SentimentMetrics, type SentimentMetricSources } from './sentiment-metrics.js';
export { sentimentFrom, type SentimentExtras, type SentimentWiring } from './sentiment-from-config.js';
export { SentimentStartError } from './errors.js';
