/**
 * The load side of `bench:delta`: raw WebSocket subscribers (the `ws` package) that count what
 * reaches them. Each subscribes to one `market:` channel, with `delta: 'fossil'` or without; a
 * frame's bytes are its payload plus the WebSocket header the server wrote for it.
 */
import WebSocket from 'ws';

type Command =
  | { cmd: 'open'; url: string; subscribers: number; symbols: number; delta: boolean }
  | { cmd: 'window' }
  | { cmd: 'close' };

const send = (m: unknown): void => void process.send?.(m);
let sockets: WebSocket[] = [];
let bytes = 0;
let frames = 0;
let pubs = 0;
let deltas = 0;

/** Bytes of a server-to-client frame header (unmasked) for a payload of `len` bytes. */
const headerBytes = (len: number): number => (len < 126 ? 2 : len < 65536 ? 4 : 10);

async function open(url: string, subscribers: number, symbols: number, delta: boolean): Promise<void> {
  const batch = 200;
  for (let start = 0; start < subscribers; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, subscribers - start) }, (_, j) => new Promise<void>((resolve, reject) => {
      const i = start + j;
      const ws = new WebSocket(url);
      ws.once('error', reject);
      ws.on('open', () => {
        const sub: Record<string, unknown> = { channel: `market:SYM${i % symbols}` };
        if (delta) sub.delta = 'fossil';
        ws.send(`${JSON.stringify({ id: 1, connect: {} })}\n${JSON.stringify({ id: 2, subscribe: sub })}`);
      });
      let subscribed = false;
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (!subscribed) {
          if (text.includes('"id":2')) {
            subscribed = true;
            resolve();
          }
          return;
        }
        bytes += data.length + headerBytes(data.length);
        frames++;
        // Counting, not decoding: a frame holds one push per line.
        for (let p = text.indexOf('"pub":'); p !== -1; p = text.indexOf('"pub":', p + 6)) pubs++;
        for (let p = text.indexOf('"delta":true'); p !== -1; p = text.indexOf('"delta":true', p + 12)) deltas++;
      });
      sockets.push(ws);
    })));
  }
}

process.on('message', (m: Command) => {
  if (m.cmd === 'open') {
    open(m.url, m.subscribers, m.symbols, m.delta).then(() => send({ opened: sockets.length }), (err: Error) => send({ failed: err.message }));
  } else if (m.cmd === 'window') {
    send({ window: { bytes, frames, pubs, deltas } });
    bytes = 0;
    frames = 0;
    pubs = 0;
    deltas = 0;
  } else if (m.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    sockets = [];
    send({ closed: true });
  }
});
send({ ready: true });
