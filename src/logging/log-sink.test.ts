import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { LogSink } from './log-sink.js';
import { createLogger } from './create-logger.js';

/**
 * A TCP connection whose far end never reads: the kernel's buffers fill and libuv keeps the
 * rest, as with a pipe whose reader stopped.
 */
async function stalledSocket(): Promise<{ out: Socket; far: () => Socket; server: Server }> {
  let farSocket: Socket | undefined;
  const server = createServer((s) => { s.pause(); farSocket = s; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const out = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => out.once('connect', () => resolve()));
  while (!farSocket) await new Promise((r) => setTimeout(r, 5));
  return { out, far: () => farSocket as Socket, server };
}

const closers: (() => void)[] = [];
afterEach(() => { for (const c of closers.splice(0)) c(); });

const line = (i: number) => `{"level":30,"msg":"line ${i}","pad":"${'x'.repeat(200)}"}\n`;

describe('LogSink', () => {
  it('on an output that takes nothing more, keeps at most maxLines waiting and drops and counts the newest', async () => {
    const { out, server } = await stalledSocket();
    closers.push(() => { out.destroy(); server.close(); });
    const sink = new LogSink({ out, maxLines: 1_000, maxBytes: 64 * 1024 * 1024 });
    // Enough to fill the kernel's buffers of both ends many times over.
    const n = 100_000;
    const start = performance.now();
    for (let i = 0; i < n; i++) sink.write(line(i));
    const loopTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(performance.now() - start)));
    expect(loopTurn).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.backlog.lines).toBeLessThanOrEqual(1_000);
    expect(sink.dropped).toBeGreaterThan(n / 2);
    expect(sink.written + sink.backlog.lines + sink.dropped).toBe(n);
  });

  it('bounds the waiting bytes as well', () => {
    const stalled = new Writable({ write: () => {} });
    const sink = new LogSink({ out: stalled, maxLines: 1_000_000, maxBytes: 10 * line(0).length });
    for (let i = 0; i < 100; i++) sink.write(line(i));
    expect(sink.backlog).toEqual({ lines: 10, bytes: 10 * line(0).length });
    expect(sink.dropped).toBe(90);
  });

  it('flush resolves false at its deadline while the output takes nothing, and true once it has taken all', async () => {
    const { out, far, server } = await stalledSocket();
    closers.push(() => { out.destroy(); server.close(); });
    const sink = new LogSink({ out, maxLines: 100_000, maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 20_000; i++) sink.write(line(i));
    const start = performance.now();
    expect(await sink.flush(200)).toBe(false);
    expect(performance.now() - start).toBeGreaterThanOrEqual(190);
    expect(performance.now() - start).toBeLessThan(1_000);
    far().resume();
    expect(await sink.flush(10_000)).toBe(true);
    expect(sink.written).toBe(20_000);
    expect(sink.dropped).toBe(0);
  });

  it('tells once how many lines it dropped when the output takes lines again', async () => {
    const { out, far, server } = await stalledSocket();
    closers.push(() => { out.destroy(); server.close(); });
    const gaps: number[] = [];
    const sink = new LogSink({ out, maxLines: 100, maxBytes: 64 * 1024 * 1024, onGap: (n) => gaps.push(n) });
    for (let i = 0; i < 100_000; i++) sink.write(line(i));
    const dropped = sink.dropped;
    expect(dropped).toBeGreaterThan(0);
    far().resume();
    expect(await sink.flush(10_000)).toBe(true);
    expect(gaps).toEqual([dropped]);
  });

  it('a reader that dies ends the output: no throw, the lost and later lines are counted, flush returns at once', async () => {
    const { out, far, server } = await stalledSocket();
    closers.push(() => { out.destroy(); server.close(); });
    const sink = new LogSink({ out, maxLines: 100_000, maxBytes: 64 * 1024 * 1024 });
    for (let i = 0; i < 20_000; i++) sink.write(line(i));
    far().resetAndDestroy();
    while (!sink.error) await new Promise((r) => setTimeout(r, 5));
    expect(['ECONNRESET', 'EPIPE']).toContain((sink.error as NodeJS.ErrnoException).code);
    const start = performance.now();
    expect(await sink.flush(10_000)).toBe(false);
    expect(performance.now() - start).toBeLessThan(100);
    const before = sink.dropped;
    sink.write(line(0));
    expect(sink.dropped).toBe(before + 1);
  });

  it('a stream that throws or calls back with an error is counted, not thrown', async () => {
    const failing = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    const sink = new LogSink({ out: failing, maxLines: 10, maxBytes: 1024 * 1024 });
    sink.write(line(1));
    sink.write(line(2));
    await new Promise((r) => setTimeout(r, 10));
    expect(sink.error?.message).toBe('write EPIPE');
    expect(sink.dropped).toBe(2);
    expect(sink.backlog.lines).toBe(0);

    const throwing = new Writable();
    throwing.write = () => { throw new Error('bad state'); };
    const sink2 = new LogSink({ out: throwing, maxLines: 10, maxBytes: 1024 * 1024 });
    expect(() => sink2.write(line(1))).not.toThrow();
    expect(sink2.dropped).toBe(1);
    expect(sink2.error?.message).toBe('bad state');
  });
});

describe('createLogger', () => {
  it('writes pino JSON lines through the sink, and pino\'s own flush(cb) works', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => { text += d.toString(); });
    const { logger, sink } = createLogger({ logLevel: 'info', logBacklogLines: 10, logBacklogBytes: 1024 * 1024 }, out);
    logger.debug('not at info');
    logger.info({ port: 1 }, 'hello');
    await new Promise<void>((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())));
    expect(sink.written).toBe(1);
    expect(JSON.parse(text)).toMatchObject({ level: 30, service: 'supernova', port: 1, msg: 'hello' });
  });
});
