import type { Tick } from '../ports.js';

/** Most trades in one `ticks:` publication: a larger group is split, so a frame stays small. */
export const MAX_TRADES_PER_PUBLICATION = 1_000;

/** A `ticks:SYM` publication as it goes on the wire (JSON and msgpack): trade i is (price[i], size[i], ts[i]). */
export interface TickColumnsJson {
  price: number[];
  size: number[];
  ts: number[];
}

/**
 * What `ticks:SYM` carries: the symbol's trades of one feed batch, in arrival order, as columns.
 * A burst of trades is one publication (one history offset, one frame per subscriber) rather
 * than one per trade, which is what keeps fan-out latency flat when a market opens; every trade
 * is in exactly one publication, so recovery by offset still loses none. Columns rather than an
 * object per trade: the keys are not repeated on the wire, and a subscriber parses three arrays.
 *
 * In process the columns are Float64Array views of one buffer. History keeps every publication for
 * minutes, and a typed array's numbers live outside the JavaScript heap, so the young-generation
 * collector copies a small header per publication instead of its 24 bytes per trade.
 * Serializers see the wire form through toJSON, which JSON.stringify and msgpackr both call.
 */
export class TickPublication {
  readonly price: Float64Array;
  readonly size: Float64Array;
  readonly ts: Float64Array;
  readonly length: number;
  /** The bytes of its columns: what history's byte budget counts for it without walking it. */
  readonly byteLength: number;

  /** Trades [from, from + length) of `columns`: prices, sizes and times in blocks of `stride`. */
  constructor(columns: Float64Array, stride: number, from: number, length: number) {
    const { buffer, byteOffset } = columns;
    this.length = length;
    this.byteLength = 24 * length;
    this.price = new Float64Array(buffer, byteOffset + 8 * from, length);
    this.size = new Float64Array(buffer, byteOffset + 8 * (stride + from), length);
    this.ts = new Float64Array(buffer, byteOffset + 8 * (2 * stride + from), length);
  }

  toJSON(): TickColumnsJson {
    return { price: Array.from(this.price), size: Array.from(this.size), ts: Array.from(this.ts) };
  }
}

/**
 * One symbol's trades of a batch, written as they are accepted into one Float64Array (prices,
 * then sizes, then times, `capacity` of each), which doubles when full. The pipeline starts the
 * batch's first symbol at the batch's remaining length, so a batch of one symbol (the replay's)
 * is written once, at its size; another symbol starts small.
 */
export class TickColumnsWriter {
  private columns: Float64Array;
  private capacity: number;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.columns = new Float64Array(3 * this.capacity);
  }

  add(tick: Tick): void {
    if (this.count === this.capacity) this.resize(2 * this.capacity);
    const i = this.count++;
    const c = this.capacity;
    const columns = this.columns;
    columns[i] = tick.price;
    columns[c + i] = tick.size;
    columns[2 * c + i] = tick.ts;
  }

  /**
   * The trades added, in publications of at most MAX_TRADES_PER_PUBLICATION that share one
   * buffer. History keeps that buffer while it keeps a publication: one less than half full is
   * copied to its size first.
   */
  publications(): TickPublication[] {
    if (2 * this.count < this.capacity) this.resize(this.count);
    const out: TickPublication[] = [];
    for (let from = 0; from < this.count; from += MAX_TRADES_PER_PUBLICATION) {
      out.push(new TickPublication(this.columns, this.capacity, from, Math.min(MAX_TRADES_PER_PUBLICATION, this.count - from)));
    }
    return out;
  }

  private resize(capacity: number): void {
    const n = this.count;
    const c = this.capacity;
    const next = new Float64Array(3 * capacity);
    next.set(this.columns.subarray(0, n), 0);
    next.set(this.columns.subarray(c, c + n), capacity);
    next.set(this.columns.subarray(2 * c, 2 * c + n), 2 * capacity);
    this.columns = next;
    this.capacity = capacity;
  }
}
