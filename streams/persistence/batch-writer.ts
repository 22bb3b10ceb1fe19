/** Where a batch goes: a database table, written idempotently (a retried batch never duplicates a row). */
export interface RowSink<T> {
  write(rows: readonly T[]): Promise<void>;
}

export interface BatchWriterOptions<T> {
  sink: RowSink<T>;
  /** Rows per write at most. */
  maxBatch: number;
  /** How long a row may wait for more before its batch is written. */
  flushMs: number;
  /** Rows held at most (waiting, or unwritten while the sink fails); past it push() refuses and counts. */
  maxBuffered: number;
  /** Backoff of retries: a random delay up to base * 2^attempt, at most maxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A failed write (it is retried). */
  onError?: (err: unknown, attempt: number) => void;
}

export interface BatchWriterStats {
  buffered: number;
  written: number;
  batches: number;
  retries: number;
  /** Rows refused because the buffer was full. */
  refused: number;
}

/**
 * Batches rows by count or time, one write in flight at a time, in order. A failed write is
 * retried with jittered exponential backoff until it succeeds, its rows kept at the head of the
 * buffer, so nothing accepted is lost while the sink is down and nothing is written twice (the
 * sink is idempotent). The buffer is bounded; past it push() says no and the refusal is counted.
 */
export class BatchWriter<T> {
  private readonly buffer: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private stopping = false;
  /** Set when stop() gives up: a write still failing then ends rather than retrying for ever. */
  private closed = false;
  private readonly stats_: Omit<BatchWriterStats, 'buffered'> = { written: 0, batches: 0, retries: 0, refused: 0 };

  constructor(private readonly o: BatchWriterOptions<T>) {}

  /** Accepts a row, or returns false (counted) when the buffer is full. */
  push(row: T): boolean {
    if (this.buffer.length >= this.o.maxBuffered) {
      this.stats_.refused++;
      return false;
    }
    this.buffer.push(row);
    if (this.buffer.length >= this.o.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.o.flushMs);
    return true;
  }

  /** Writes what is held, retrying for at most `timeoutMs`; resolves with the rows left unwritten. */
  async stop(timeoutMs = 5_000): Promise<number> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while ((this.buffer.length > 0 || this.writing) && Date.now() < deadline) {
      this.kick();
      await Promise.race([this.writing, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    this.closed = true;
    return this.buffer.length;
  }

  stats(): BatchWriterStats {
    return { buffered: this.buffer.length, ...this.stats_ };
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.buffer.length === 0) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.buffer.length > 0 && !this.stopping) this.timer ??= setTimeout(() => this.kick(), this.o.flushMs);
    });
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.o.maxBatch);
      try {
        await this.o.sink.write(batch);
      } catch (err) {
        this.o.onError?.(err, attempt);
        if (this.closed) return;
        this.stats_.retries++;
        const cap = Math.min(this.o.retryMaxMs ?? 5_000, (this.o.retryBaseMs ?? 100) * 2 ** attempt);
        attempt++;
        await new Promise((r) => setTimeout(r, Math.random() * cap));
        continue;
      }
      attempt = 0;
      this.buffer.splice(0, batch.length);
      this.stats_.written += batch.length;
      this.stats_.batches++;
      // Full batches go back to back; a partial one waits for its flush time.
      if (this.buffer.length < this.o.maxBatch && !this.stopping) return;
    }
  }
}
