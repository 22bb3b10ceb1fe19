export { BatchWriter, type BatchWriterOptions, type BatchWriterStats, type RowSink } from './batch-writer.js';
