export { BatchWriter, type BatchWriterOptions, type BatchWriterStats, type RowSink, type SpillOptions } from './batch-writer.js';
export { SpillDir, type SpillDirOptions } from './spill-dir.js';
export { SpillFile, SPILL_REFUSALS, type SpillFileOptions, type SpillRefusal, type SpillStats } from './spill-file.js';
export { SpillBudget } from './spill-budget.js';
export { isTickRow, LATE_SEQ_BASE, SEQ_WINDOW, TickSequencer, type TickRow } from './tick-sequencer.js';
