import type { SpillFile, SpillStats } from './spill-file.js';

/** Where a batch goes: a database table, written idempotently (a retried batch never duplicates a row). */
export interface RowSink<T> {
  write(rows: readonly T[]): Promise<void>;
}

/** Rows on disk while the sink is down: the spill of the writer's table. */
export interface SpillOptions<T> {
  file: SpillFile<T>;
  /**
   * While the sink fails, rows beyond this many in memory go to the spill, the oldest first. 0
   * keeps none in memory then: every row is on disk within a flush period.
   */
  afterRows: number;
}

export interface BatchWriterOptions<T> {
  sink: RowSink<T>;
  /** Rows per write at most (and per spill record). */
  maxBatch: number;
  /** How long a row may wait for more before its batch is written (or spilled while the sink fails). */
  flushMs: number;
  /** Rows held in memory at most (waiting, or unwritten while the sink fails); past it push() refuses and counts. */
  maxBuffered: number;
  /** Backoff of retries: a random delay up to base * 2^attempt, at most maxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A failed write (it is retried); attempt -1 is a fault of the writer itself (a bug), which ended its loop. */
  onError?: (err: unknown, attempt: number) => void;
  /** Without it, rows wait in memory alone. */
  spill?: SpillOptions<T>;
}

export interface BatchWriterStats {
  buffered: number;
  written: number;
  batches: number;
  retries: number;
  /** Rows refused because the memory buffer was full. */
  refused: number;
  spill?: SpillStats;
}

/**
 * Batches rows by count or time, one write in flight at a time, in order. A failed write is
 * retried with jittered exponential backoff until it succeeds, its rows kept at the head, so
 * nothing accepted is lost while the sink is down and nothing is written twice (the sink is
 * idempotent). Memory is bounded; past it push() says no and the refusal is counted.
 *
 * With a spill, while the sink fails the oldest rows beyond `afterRows` move to disk, and the
 * spill is always written before memory: the order per table is the order of push(), across an
 * outage and across a restart (what a previous run spilled goes first). One loop does every write,
 * spill and read, so no two of them ever race over the head of the queue.
 */
export class BatchWriter<T> {
  private buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  /** Set when stop() takes over: the loop ends at its next step, and touches nothing after a late answer. */
  private closed = false;
  /** The last write failed; cleared by the next that succeeds. */
  private failing = false;
  /** Ends the backoff wait early: a burst to spill, or stop(). */
  private wake: (() => void) | undefined;
  /** The loop's disk work under way (a read, shift or append), which stop() waits for before it appends itself. */
  private diskWork: Promise<unknown> | undefined;
  private readonly stats_ = { written: 0, batches: 0, retries: 0, refused: 0 };
  /** The one stop: every caller waits for the same. */
  private stopped: Promise<number> | undefined;

  constructor(private readonly o: BatchWriterOptions<T>) {}

  /** Opens the spill, and begins writing what a previous run left in it. Without a spill there is nothing to open. */
  async start(): Promise<void> {
    const spill = this.o.spill?.file;
    if (!spill) return;
    await spill.start();
    if (spill.hasRows()) this.kick();
  }

  /** Accepts a row, or returns false (counted) when memory is full or the writer is stopped. */
  push(row: T): boolean {
    if (this.closed || this.buffer.length >= this.o.maxBuffered) {
      this.stats_.refused++;
      return false;
    }
    this.buffer.push(row);
    // A full batch beyond what may stay in memory goes to disk now, not at the next flush tick.
    if (this.buffer.length - this.keepInMemory() >= this.o.maxBatch) this.wake?.();
    if (this.buffer.length >= this.o.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.o.flushMs);
    return true;
  }

  /**
   * Writes what is held, retrying for at most `timeoutMs`; then, with a spill, whatever is still
   * unwritten goes to disk (at once when the sink is failing: there is nothing to wait for).
   * Resolves with the rows neither written nor spilled, which are lost.
   */
  stop(timeoutMs = 5_000): Promise<number> {
    this.stopped ??= this.close(timeoutMs);
    return this.stopped;
  }

  private async close(timeoutMs: number): Promise<number> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const spill = this.o.spill?.file;
    const deadline = Date.now() + timeoutMs;
    while (this.hasWork() && Date.now() < deadline && !(spill && this.failing)) {
      this.kick();
      this.wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
    }
    this.closed = true;
    this.wake?.();
    if (spill) {
      await this.diskWork;
      // A write still in flight may yet succeed: its rows are then stored and spilled, and written again later, harmlessly.
      if (this.buffer.length > 0 && (await spill.append(this.buffer, this.o.maxBatch))) this.buffer = [];
      await spill.stop();
    }
    return this.buffer.length;
  }

  stats(): BatchWriterStats {
    const spill = this.o.spill?.file.stats();
    return { buffered: this.buffer.length, ...this.stats_, ...(spill ? { spill } : {}) };
  }

  private hasWork(): boolean {
    return this.buffer.length > 0 || (this.o.spill?.file.hasRows() ?? false);
  }

  /** Whether rows in memory beyond keepInMemory() belong on disk now. */
  private spillDue(): boolean {
    return this.buffer.length > this.keepInMemory();
  }

  /**
   * Rows that may stay in memory: afterRows while the sink fails. While it works but older rows
   * still wait on disk, newer ones may wait in memory behind them (they are written after the
   * spill anyway) up to half the memory bound, so a long drain cannot fill memory, and steady
   * arrivals during a drain do not keep every row going through the disk for ever.
   */
  private keepInMemory(): number {
    const spill = this.o.spill;
    if (!spill) return Number.POSITIVE_INFINITY;
    if (this.failing) return spill.afterRows;
    return spill.file.hasRows() ? Math.max(spill.afterRows, Math.floor(this.o.maxBuffered / 2)) : Number.POSITIVE_INFINITY;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.closed || !this.hasWork()) return;
    this.running = this.pump()
      .catch((err: unknown) => this.o.onError?.(err, -1))
      .finally(() => {
        this.running = undefined;
        if (this.hasWork() && !this.stopping) this.timer ??= setTimeout(() => this.kick(), this.o.flushMs);
      });
  }

  /** Disk work of the loop, tracked for stop(): `block` includes its bookkeeping, so stop() sees it done or not begun. */
  private disk<R>(block: () => Promise<R>): Promise<R> {
    const p = block();
    this.diskWork = p.then(() => undefined, () => undefined);
    return p;
  }

  /** Moves the rows beyond afterRows, oldest first, to the spill when they belong there and it takes them. */
  private async spillOverflow(): Promise<void> {
    const spill = this.o.spill;
    if (!spill || this.closed || !this.spillDue() || !spill.file.accepting()) return;
    await this.disk(async () => {
      const rows = this.buffer.slice(0, this.buffer.length - this.keepInMemory());
      // Nothing else takes from the head meanwhile (push adds at the tail), so these are still the first rows.
      if (await spill.file.append(rows, this.o.maxBatch)) this.buffer.splice(0, rows.length);
    });
  }

  private async pump(): Promise<void> {
    const spill = this.o.spill?.file;
    let attempt = 0;
    for (;;) {
      await this.spillOverflow();
      if (this.closed) return;
      let batch: readonly T[] | undefined;
      let fromSpill = false;
      if (spill?.hasRows()) {
        try {
          batch = await this.disk(() => spill.peek());
        } catch {
          // The spill logged it; its rows stay first in line, so nothing newer is written meanwhile.
          await this.backoff(attempt++);
          continue;
        }
        if (this.closed) return;
        fromSpill = batch !== undefined;
      }
      batch ??= this.buffer.length > 0 ? this.buffer.slice(0, this.o.maxBatch) : undefined;
      if (!batch) return;
      try {
        await this.o.sink.write(batch);
      } catch (err) {
        if (this.closed) return;
        this.o.onError?.(err, attempt);
        this.stats_.retries++;
        this.failing = true;
        await this.backoff(attempt++);
        continue;
      }
      // stop() has taken what was unwritten (a late success is written again later, harmlessly).
      if (this.closed) return;
      attempt = 0;
      this.failing = false;
      if (fromSpill) await this.disk(() => (spill as SpillFile<T>).shift());
      else this.buffer.splice(0, batch.length);
      this.stats_.written += batch.length;
      this.stats_.batches++;
      // The spill and full batches go back to back; a partial batch in memory waits for its flush time.
      if (!fromSpill && !spill?.hasRows() && this.buffer.length < this.o.maxBatch && !this.stopping) return;
    }
  }

  /** Waits out a retry's delay; with a spill, moves rows to disk meanwhile, at each flush period or full batch. */
  private async backoff(attempt: number): Promise<void> {
    const cap = Math.min(this.o.retryMaxMs ?? 5_000, (this.o.retryBaseMs ?? 100) * 2 ** attempt);
    const until = Date.now() + Math.random() * cap;
    for (;;) {
      await this.spillOverflow();
      const left = until - Date.now();
      if (left <= 0 || this.closed) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, this.o.spill ? Math.min(left, this.o.flushMs) : left);
        this.wake = done;
      });
    }
  }
}
