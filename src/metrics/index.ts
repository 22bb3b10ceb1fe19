export { clientCloseKind, EngineMetrics, sourcedCounter, type MetricsSources } from './engine-metrics.js';
export { MemoryWatchdog, type MemoryReading, type MemoryReport, type MemoryState, type Shedder } from './memory-watchdog.js';
export { MetricsService, type MetricsServiceOptions } from './metrics-service.js';
export type { EngineReadings } from './engine-metrics-source.js';
export type { ExtraFigures, ExtraFiguresProvider } from './extra-figures.js';
export type { ApiReport } from './api-report.js';
export type { ResourcesReport } from './resources-report.js';
export { InternalErrors, type InternalErrorSink, type InternalErrorsOptions } from './internal-errors.js';
export { PerformanceReport, type PerformanceReportOptions, type ReportSection } from './performance-report.js';
