import { request, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** A server-sent events client over node:http that parses the stream as a browser's EventSource would. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  /** Resolves with the status once the headers arrive. */
  readonly opened: Promise<number>;
  /** Resolves when the server ends the response (or the socket closes). */
  readonly ended: Promise<void>;
  private readonly req;
  private response: IncomingMessage | undefined;
  private buffer = '';
  private pending: { id?: string; event?: string; data: string[] } = { data: [] };

  constructor(url: string) {
    let open!: (status: number) => void;
    let end!: () => void;
    this.opened = new Promise((resolve) => { open = resolve; });
    this.ended = new Promise((resolve) => { end = resolve; });
    // No keep-alive agent: a pooled socket would outlive the test.
    this.req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      this.response = res;
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.feed(chunk));
      res.on('end', end);
      res.on('close', end);
      open(this.status);
    });
    this.req.on('error', () => end());
    this.req.end();
  }

  /** Stops reading: the kernel buffers fill and the server sees backpressure. */
  pause(): void {
    this.response?.socket.pause();
    this.response?.pause();
  }

  close(): void {
    this.req.destroy();
  }

  metrics(): Record<string, unknown>[] {
    return this.events.filter((e) => e.event === 'metrics').map((e) => JSON.parse(e.data) as Record<string, unknown>);
  }

  private feed(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      const p = this.pending;
      if (p.data.length > 0) this.events.push({ id: p.id, event: p.event ?? 'message', data: p.data.join('\n') });
      this.pending = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.pending.data.push(value);
    else if (field === 'event') this.pending.event = value;
    else if (field === 'id') this.pending.id = value;
  }
}
