export { BatchWriter, type BatchWriterOptions, type BatchWriterStats, type RowSink } from './batch-writer.js';
export { LATE_SEQ_BASE, SEQ_WINDOW, TickSequencer, type TickRow } from './tick-sequencer.js';
