export interface StreamWritesOptions {
  /** Session writes held at most (a fan-out frame counts once per recipient); past it they are made at once. */
  maxWrites: number;
  /** Bytes of the frames held at most (a fan-out frame counts once); past it likewise. */
  maxBytes: number;
  onError: (where: string, err: unknown) => void;
}

export interface StreamWritesStats {
  /** Passes made after the callback that queued them, as meant. */
  deferred: number;
  /** Passes made at once because the queue reached a limit. */
  full: number;
  /** Passes made at once because the queue was stopped. */
  stopped: number;
}

/**
 * Every write of the stream sessions, made after the current callback, in call order, in one pass.
 *
 * While a uWS callback runs (and the microtasks it leaves, the fan-out's among them) uWS holds
 * that callback's own socket corked, and a response written from there cannot be corked: each
 * write goes out as several syscalls. A publication to 5,000 HTTP-streaming sessions took 165-180 ms
 * of the loop from inside the publishing request's callback, against 50 ms from a setImmediate,
 * where each response corks alone (as fast as uWS's own WebSocket topic publish). Writes of one
 * session keep their order because every one of them goes through this queue.
 */
export class StreamWrites {
  private queue: Array<() => void> = [];
  private writes = 0;
  private bytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private running = false;
  private readonly counts: StreamWritesStats = { deferred: 0, full: 0, stopped: 0 };

  constructor(private readonly opts: StreamWritesOptions) {}

  /** Queues `work`, which makes `writes` session writes of `bytes` frame bytes. */
  run(work: () => void, writes: number, bytes: number): void {
    this.queue.push(work);
    this.writes += writes;
    this.bytes += bytes;
    // Queued by the pass under way (a slow reader's goodbye): that pass takes it.
    if (this.running) return;
    if (this.stopped) this.pass('stopped');
    else if (this.writes > this.opts.maxWrites || this.bytes > this.opts.maxBytes) this.pass('full');
    else this.scheduled ??= setImmediate(() => this.pass('deferred'));
  }

  /** Makes every queued write now (before shutdown closes the sockets). */
  flush(): void {
    if (this.queue.length > 0) this.pass('stopped');
  }

  /** Flushes, and from then on writes at once: nothing is left behind a timer. */
  stop(): void {
    this.stopped = true;
    this.flush();
  }

  stats(): StreamWritesStats {
    return { ...this.counts };
  }

  private pass(reason: keyof StreamWritesStats): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.counts[reason]++;
    this.running = true;
    for (let i = 0; i < this.queue.length; i++) {
      try {
        (this.queue[i] as () => void)();
      } catch (err) {
        // Runs in an immediate: nothing may escape, and one session's failure must not hold back the rest.
        this.opts.onError('stream-write', err);
      }
    }
    this.running = false;
    this.queue = [];
    this.writes = 0;
    this.bytes = 0;
  }
}
