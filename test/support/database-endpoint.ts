import type { DatabaseReport, TickSinkStats } from '../../src/storage/index.js';
import type { BatchWriterStats } from '../../streams/index.js';

/** What `/performance/metrics/database` answers with a database configured. */
export type DatabaseEndpoint = DatabaseReport & { configured: true; persistence: Record<string, BatchWriterStats>; ticks: TickSinkStats | null };
