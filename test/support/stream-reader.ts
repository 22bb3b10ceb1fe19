/**
 * A raw client of the stream transports, reading newline-delimited JSON (http_stream, uni) or
 * server-sent events (`data:` lines) as they arrive, so a test sees the framing itself.
 */
export class StreamReader {
  readonly messages: Record<string, unknown>[] = [];
  status = 0;
  ended = false;
  private buffer = '';
  private readonly abort = new AbortController();

  static async open(url: string, init: RequestInit = {}, sse = false): Promise<StreamReader> {
    const r = new StreamReader();
    const res = await fetch(url, { ...init, signal: r.abort.signal });
    r.status = res.status;
    if (!res.ok || !res.body) {
      r.messages.push((await res.json()) as Record<string, unknown>);
      r.ended = true;
      return r;
    }
    void r.pump(res.body.getReader(), sse);
    return r;
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>, sse: boolean): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = this.buffer.indexOf('\n')) >= 0) {
          const line = this.buffer.slice(0, nl).replace(/\r$/, '');
          this.buffer = this.buffer.slice(nl + 1);
          if (sse) {
            if (line.startsWith('data: ')) this.messages.push(JSON.parse(line.slice(6)) as Record<string, unknown>);
          } else if (line !== '') this.messages.push(JSON.parse(line) as Record<string, unknown>);
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  /** The first message matching, waiting for it. */
  async next(match: (m: Record<string, unknown>) => boolean, label: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; got ${JSON.stringify(this.messages).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.abort.abort();
  }
}
