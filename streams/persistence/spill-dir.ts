import { join } from 'node:path';
import type { StreamLogger } from '../ports.js';
import { InvalidOptionError } from '../errors.js';
import { SpillBudget } from './spill-budget.js';
import { SpillFile } from './spill-file.js';

export interface SpillDirOptions {
  /** SUPERNOVA_SPILL_DIR: each table spills into a directory of its own under it. */
  dir: string;
  /** SUPERNOVA_SPILL_MAX_BYTES, for all tables together. */
  maxBytes: number;
  /** Size at which a segment is closed and the next one opened. */
  segmentBytes: number;
  log: StreamLogger;
  /** The setting that names `dir`, for messages. */
  setting: string;
}

const TABLE = /^[a-z][a-z0-9_]{0,62}$/;

/** The spill directory: one byte budget, and a SpillFile per table (bars, ticks, ...) that a batch writer owns. */
export class SpillDir {
  readonly budget: SpillBudget;
  private readonly tables = new Set<string>();

  constructor(private readonly o: SpillDirOptions) {
    this.budget = new SpillBudget(o.maxBytes);
  }

  /**
   * The spill of one table; `isRow` checks what is read back (a record with a row it refuses is
   * corrupt). `maxBytes` caps the table's share of the directory's budget, so that a table of many
   * rows (ticks) cannot fill the spill and leave none for another (bars).
   */
  table<T>(name: string, isRow?: (row: unknown) => row is T, maxBytes?: number): SpillFile<T> {
    if (!TABLE.test(name)) throw new InvalidOptionError('table', `a spill table is 1-63 of a-z 0-9 _ starting with a letter, got ${JSON.stringify(name)}`);
    if (this.tables.has(name)) throw new InvalidOptionError('table', `the spill of ${name} is already in use`);
    this.tables.add(name);
    const budget = maxBytes === undefined ? this.budget : new SpillBudget(maxBytes, this.budget);
    return new SpillFile<T>({ dir: join(this.o.dir, name), table: name, budget, segmentBytes: this.o.segmentBytes, log: this.o.log, setting: this.o.setting, ...(isRow ? { isRow } : {}) });
  }
}
