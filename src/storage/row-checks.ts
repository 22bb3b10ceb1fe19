/**
 * Checks of a row's values against its table's types. A value PostgreSQL refuses fails its whole
 * batch, and the batch writer retries a failed batch until it succeeds: one such row would hold a
 * table's writer up for ever. Sinks drop such rows instead, and count them.
 */

/** Text PostgreSQL can store (no NUL), non-empty and at most `max` characters. */
export function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !value.includes('\u0000');
}

/** A finite number (not NaN, which a `real`/`double precision` column would store as NaN). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A bigint column's value from JavaScript: a safe integer. */
export function isSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value);
}

/** A sink's count of rows it dropped rather than retry for ever. */
export interface SkippedRows {
  skipped: number;
}

/**
 * Counts dropped rows once each: the writer hands a failed batch (bad rows and all) to the sink
 * again, and a row dropped on every attempt is still one row. Weak, so it holds nothing.
 */
export class SkipCounter {
  private readonly seen = new WeakSet<object>();
  count = 0;

  skip(row: unknown): void {
    if (typeof row !== 'object' || row === null) {
      this.count++;
      return;
    }
    if (this.seen.has(row)) return;
    this.seen.add(row);
    this.count++;
  }
}
