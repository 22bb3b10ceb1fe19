import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** One row of a tick CSV (`ms_since_midnight_et,price_decicents,size,exchange,condition,suspicious`). */
export interface TickCsvRow {
  /** Milliseconds since local midnight of the trading day, in the exchange's time zone. */
  msSinceMidnight: number;
  /** Price in 1/10,000 USD, an integer, so prices stay exact until they become USD numbers. */
  priceDecicents: number;
  size: number;
  exchange: string;
  condition: string;
  suspicious: boolean;
}

export const TICK_CSV_COLUMNS = ['ms_since_midnight_et', 'price_decicents', 'size', 'exchange', 'condition', 'suspicious'] as const;

/** The file is not a tick CSV, or a row cannot be read. Names the file and the line. */
export class TickCsvError extends Error {
  readonly code = 'TICK_CSV_INVALID' as const;
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${line}: ${detail}`, options);
    this.name = 'TickCsvError';
  }
}

export interface TickCsvOptions {
  /** Rows per yielded batch: consumers work a batch at a time instead of paying a promise per row. */
  batchSize?: number;
  /** Aborting stops the read and closes the file. */
  signal?: AbortSignal;
}

const DEFAULT_BATCH_SIZE = 1024;

/**
 * Streams a tick CSV (gzipped when the name ends in `.gz`) in batches of rows. Only one batch
 * and the stream buffers are in memory at a time, never the whole file. Leaving the loop early
 * (break, throw, abort) destroys the streams, which releases the file handle.
 */
export async function* readTickCsv(file: string, options: TickCsvOptions = {}): AsyncGenerator<TickCsvRow[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const raw = createReadStream(file);
  const text: Readable = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // Errors of the file stream (ENOENT, EACCES) do not travel through pipe(): forward them.
  if (text !== raw) raw.once('error', (err) => text.destroy(err));
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  // Closing the line reader too ends a loop that waits for the next line: destroying the input
  // alone emits no 'end', so readline would wait forever and the file would stay open.
  const abort = (): void => {
    lines.close();
    text.destroy();
    raw.destroy();
  };
  options.signal?.addEventListener('abort', abort, { once: true });
  let lineNo = 0;
  let batch: TickCsvRow[] = [];
  try {
    for await (const line of lines) {
      lineNo++;
      if (lineNo === 1) {
        checkHeader(file, line);
        continue;
      }
      if (line === '') continue;
      batch.push(parseRow(file, lineNo, line));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (options.signal?.aborted) return;
    if (lineNo === 0) throw new TickCsvError(file, 0, 'empty file: expected a header line');
    if (batch.length > 0) yield batch;
  } catch (err) {
    if (options.signal?.aborted) return;
    if (err instanceof TickCsvError) throw err;
    throw new TickCsvError(file, lineNo, `cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    options.signal?.removeEventListener('abort', abort);
    lines.close();
    text.destroy();
    raw.destroy();
  }
}

function checkHeader(file: string, line: string): void {
  const columns = line.trim().split(',');
  if (TICK_CSV_COLUMNS.some((name, i) => columns[i] !== name)) {
    throw new TickCsvError(file, 1, `expected the header "${TICK_CSV_COLUMNS.join(',')}", got "${line.slice(0, 120)}"`);
  }
}

function parseRow(file: string, lineNo: number, line: string): TickCsvRow {
  const f = line.split(',');
  const ms = Number(f[0]);
  const price = Number(f[1]);
  const size = Number(f[2]);
  if (f.length < TICK_CSV_COLUMNS.length || !Number.isInteger(ms) || ms < 0 || !Number.isInteger(price) || price <= 0 || !Number.isInteger(size) || size < 0) {
    throw new TickCsvError(file, lineNo, `bad row "${line.slice(0, 120)}": expected ${TICK_CSV_COLUMNS.length} columns, integer time, price and size`);
  }
  return { msSinceMidnight: ms, priceDecicents: price, size, exchange: f[3] as string, condition: f[4] as string, suspicious: f[5] === '1' };
}
