/**
 * `npm run bench:streams`: publish-to-receipt latency of HTTP-streaming and SSE sessions against
 * WebSocket ones (the baseline), measured in the same run at the same publication rate.
 *
 *   node dist/bench/stream-latency.js [--sessions 1000] [--rate 20] [--seconds 10]
 *
 * Cores: the engine runs in a child process pinned to CPU 0 (taskset), this process (all the
 * clients and the publisher) on CPU 1. Each transport is measured alone, one after the other,
 * with the same number of sessions subscribed to one channel; each publication carries its send
 * time, and every session records its arrival (one clock: both processes read the same host clock).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

type Transport = 'websocket' | 'http_stream' | 'sse';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const SESSIONS = arg('sessions', 1000);
const RATE = arg('rate', 20);
const SECONDS = arg('seconds', 10);
const CHANNEL = 'public:bench-streams';
const connect = JSON.stringify({ id: 1, connect: {} });
const subscribe = JSON.stringify({ id: 2, subscribe: { channel: CHANNEL } });

interface Client { close(): void }

/** Finds `"t":<ms>` in what arrived and records now - t (the publisher's clock). */
function recorder(latencies: number[]): (text: string) => void {
  const re = /"bench_t":([0-9.]+)/g;
  return (text) => {
    const now = performance.timeOrigin + performance.now();
    for (const m of text.matchAll(re)) latencies.push(now - Number(m[1]));
  };
}

async function open(http: string, transport: Transport, record: (text: string) => void): Promise<Client> {
  if (transport === 'websocket') {
    const ws = new WebSocket(`${http.replace('http', 'ws')}/connection/websocket`);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    let subscribed = false;
    const ready = new Promise<void>((resolve) => ws.on('message', (d: Buffer) => {
      const text = d.toString();
      if (text === '{}') ws.send('{}');
      if (!subscribed && text.includes('"id":2')) { subscribed = true; resolve(); }
      record(text);
    }));
    ws.send(`${connect}\n${subscribe}`);
    await ready;
    return { close: () => ws.close() };
  }
  // http_stream and SSE read the same way, with fetch: the SSE framing (`data:` lines) is parsed
  // by the same scan, so the figure is the server's, not an EventSource implementation's.
  const abort = new AbortController();
  const res = transport === 'http_stream'
    ? await fetch(`${http}/connection/http_stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `${connect}\n${subscribe}`, signal: abort.signal })
    : await fetch(`${http}/connection/sse?cf_connect=${encodeURIComponent(`${connect}\n${subscribe}`)}`, { signal: abort.signal });
  if (!res.body) throw new Error(`${transport}: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let subscribed = false;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => void reader.read().then(({ done, value }) => {
      if (done) return;
      const text = decoder.decode(value, { stream: true });
      if (!subscribed && text.includes('"id":2')) { subscribed = true; resolve(); }
      record(text);
      pump();
    }, (err: unknown) => { if (!subscribed) reject(err as Error); });
    pump();
  });
  return { close: () => abort.abort() };
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

async function measure(http: string, transport: Transport): Promise<{ p50: number; p99: number; received: number; expected: number }> {
  const latencies: number[] = [];
  const record = recorder(latencies);
  const clients: Client[] = [];
  for (let i = 0; i < SESSIONS; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, SESSIONS - i) }, () => open(http, transport, record)))));
  }
  await new Promise((r) => setTimeout(r, 500));
  latencies.length = 0;
  let sent = 0;
  const publish = async (): Promise<void> => {
    sent++;
    await fetch(`${http}/api/publish`, { method: 'POST', headers: { authorization: 'apikey bench-key', 'content-type': 'application/json' }, body: JSON.stringify({ channel: CHANNEL, data: { bench_t: performance.timeOrigin + performance.now() } }) });
  };
  const timer = setInterval(() => void publish(), 1000 / RATE);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 1000));
  for (const c of clients) c.close();
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), received: sorted.length, expected: sent * SESSIONS };
}

async function main(): Promise<void> {
  const child = spawn('taskset', ['-c', '0', process.execPath, fileURLToPath(new URL('./streams/engine-child.js', import.meta.url)), String(SESSIONS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const { port } = JSON.parse(line) as { port: number };
  const http = `http://127.0.0.1:${port}`;
  process.stderr.write(`bench:streams: ${SESSIONS} sessions per transport, ${RATE} publications/s for ${SECONDS} s; engine on CPU 0, clients and publisher on CPU 1\n`);
  const rows: Record<string, { p50: number; p99: number; received: number; expected: number }> = {};
  try {
    for (const t of ['websocket', 'http_stream', 'sse'] as Transport[]) {
      rows[t] = await measure(http, t);
      process.stderr.write(`  ${t}: done\n`);
    }
  } finally {
    child.kill('SIGTERM');
  }
  const base = rows.websocket as { p99: number };
  process.stdout.write('| transport | sessions | delivered | p50 ms | p99 ms | p99 / WebSocket p99 |\n|---|---|---|---|---|---|\n');
  for (const [t, r] of Object.entries(rows)) {
    process.stdout.write(`| ${t} | ${SESSIONS} | ${r.received}/${r.expected} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.p99 / base.p99).toFixed(2)}x |\n`);
  }
}

await main();
