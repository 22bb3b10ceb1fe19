import type { HttpResponse } from 'uWebSockets.js';

/**
 * A server-sent events response (text/event-stream) held open by the server. Writes never queue
 * in JavaScript: when the socket cannot take more, uWS keeps the bytes of that one write and
 * `backpressured` stays true until they drain, so the owner decides what to skip or drop.
 */
export interface EventStream {
  /** False once the client went away or the stream was ended. */
  readonly open: boolean;
  /** True while the last write is still waiting in the socket buffer. */
  readonly backpressured: boolean;
  /** Writes one event; false when it was not fully sent (backpressure) or the stream is closed. */
  send(event: string, data: string, id?: string): boolean;
  /** Writes a comment line (`: text`), e.g. a heartbeat that keeps proxies from timing out. */
  comment(text: string): boolean;
  /** Ends the response; the client sees the stream close. */
  end(): void;
  /** Closes the connection at once, discarding what is still unsent (a client that stopped reading). */
  abort(): void;
  /** Called once when the stream closes, whichever side closed it. */
  onClose(listener: () => void): void;
}

/** The uWebSockets.js implementation. Every write is corked: most come from timers, outside uWS callbacks. */
export class UwsEventStream implements EventStream {
  private closed = false;
  private waiting = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly res: HttpResponse) {}

  /** Writes the status and headers; call inside the request callback. `onAborted` must already be set. */
  begin(): void {
    this.res.cork(() => {
      this.res.writeStatus('200 OK');
      this.res.writeHeader('content-type', 'text/event-stream; charset=utf-8');
      this.res.writeHeader('cache-control', 'no-cache, no-transform');
      // Tells nginx-like proxies not to buffer the stream.
      this.res.writeHeader('x-accel-buffering', 'no');
      // An SSE client reconnects after this delay when the stream drops.
      this.res.write('retry: 2000\n\n');
    });
  }

  get open(): boolean {
    return !this.closed;
  }

  get backpressured(): boolean {
    return this.waiting;
  }

  send(event: string, data: string, id?: string): boolean {
    // data may not hold a raw newline: each line of it is its own data: field.
    const lines = data.split('\n').map((line) => `data: ${line}\n`).join('');
    return this.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\n${lines}\n`);
  }

  comment(text: string): boolean {
    return this.write(`: ${text.replace(/\n/g, ' ')}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.res.cork(() => this.res.end());
    this.close();
  }

  abort(): void {
    if (this.closed) return;
    this.close();
    this.res.close();
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** The client went away: uWS must not be touched again. */
  aborted(): void {
    this.close();
  }

  private write(chunk: string): boolean {
    if (this.closed) return false;
    let sent = false;
    this.res.cork(() => {
      sent = this.res.write(chunk);
    });
    if (!sent && !this.waiting) {
      this.waiting = true;
      this.res.onWritable(() => {
        // uWS sends what it kept by itself; we only learn that the buffer drained.
        this.waiting = false;
        return true;
      });
    }
    return sent;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
