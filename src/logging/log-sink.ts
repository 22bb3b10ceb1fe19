import type { Writable } from 'node:stream';

export interface LogSinkOptions {
  /** Where lines go; process.stdout in the engine. */
  out: Writable;
  /** Lines handed to `out` and not yet written, beyond which new lines are dropped. */
  maxLines: number;
  /** The same bound in bytes. */
  maxBytes: number;
  /** Told once the backlog has emptied after lines were dropped, with how many (a gap notice). */
  onGap?: (dropped: number) => void;
}

/**
 * What pino writes to: lines go to a stream that never blocks the event loop (process.stdout
 * on a pipe or socket is written by libuv when the fd can take more), and only as much as the
 * backlog limits allow is left waiting there. Past a limit the newest lines are dropped and
 * counted. A write error (EPIPE from a reader that died, anything else) ends the output: later
 * lines are dropped too, and nothing is thrown.
 *
 * There is deliberately no flushSync and no exit hook: the exit waits for the backlog only
 * through `flush(deadlineMs)`, which always returns by its deadline.
 */
export class LogSink {
  /** Lines that never reached the output: dropped when the backlog was full, or lost to a write error. */
  dropped = 0;
  /** Lines written to the output. */
  written = 0;
  /** The first write error; from then on every line is dropped. */
  error: Error | undefined;
  private pendingLines = 0;
  private pendingBytes = 0;
  private droppedSinceGap = 0;
  private readonly emptied = new Set<() => void>();

  constructor(private readonly opts: LogSinkOptions) {
    // Without a listener, EPIPE on process.stdout is an uncaught exception that ends the process.
    opts.out.on('error', (err: Error) => this.fail(err));
  }

  /** Lines and bytes waiting to be written. */
  get backlog(): { lines: number; bytes: number } {
    return { lines: this.pendingLines, bytes: this.pendingBytes };
  }

  /** pino's destination interface: one serialized line, newline included. */
  write(line: string): void {
    if (this.error) {
      this.dropped++;
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (this.pendingLines >= this.opts.maxLines || this.pendingBytes + bytes > this.opts.maxBytes) {
      this.dropped++;
      this.droppedSinceGap++;
      return;
    }
    this.pendingLines++;
    this.pendingBytes += bytes;
    try {
      this.opts.out.write(line, (err?: Error | null) => this.settled(bytes, err ?? undefined));
    } catch (err) {
      // A stream may throw rather than call back (a bad state of a custom stream).
      this.settled(bytes, err as Error);
    }
  }

  /**
   * Resolves true once every line handed to the output is written, false at the deadline or
   * on a write error (those lines are then lost). Never rejects.
   * A function argument is pino's `logger.flush(cb)`, which calls this with its callback.
   */
  flush(deadlineMs: number | ((err?: Error) => void)): Promise<boolean> {
    if (typeof deadlineMs === 'function') {
      const cb = deadlineMs;
      return this.flush(DEFAULT_FLUSH_MS).then((ok) => {
        cb(ok ? undefined : new Error('log lines not written by the flush deadline'));
        return ok;
      });
    }
    if (this.error) return Promise.resolve(false);
    if (this.pendingLines === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emptied.delete(done);
        resolve(this.pendingLines === 0 && !this.error);
      };
      const timer = setTimeout(done, deadlineMs);
      this.emptied.add(done);
    });
  }

  private settled(bytes: number, err: Error | undefined): void {
    this.pendingLines--;
    this.pendingBytes -= bytes;
    if (err) {
      this.dropped++;
      this.fail(err);
    } else {
      this.written++;
    }
    if (this.pendingLines > 0) return;
    for (const done of [...this.emptied]) done();
    if (this.droppedSinceGap > 0 && !this.error) {
      const n = this.droppedSinceGap;
      this.droppedSinceGap = 0;
      this.opts.onGap?.(n);
    }
  }

  private fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    for (const done of [...this.emptied]) done();
  }
}

/** For pino's `logger.flush(cb)`, which has no deadline of its own. */
const DEFAULT_FLUSH_MS = 1_000;
