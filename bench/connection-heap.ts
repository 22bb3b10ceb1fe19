/**
 * Where SuperNova's per-connection memory goes: heap snapshots of an engine before and after N
 * idle connections (connected and subscribed, from a child process so client objects stay out),
 * diffed by object type. `npx tsx --expose-gc bench/connection-heap.ts [N]` (default 3,000).
 */
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import WebSocket from 'ws';
import { Engine, loadConfig } from '../src/index.js';

const N = Number(process.argv[2] ?? 3000);

if (process.env['CONNECTION_HEAP_CLIENTS']) {
  const url = process.env['CONNECTION_HEAP_CLIENTS'];
  let subscribed = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < N; i++) {
    const ws = new WebSocket(url);
    ws.on('open', () => ws.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"public:heap"}}'));
    ws.on('message', (d: WebSocket.RawData) => {
      if (String(d).includes('"id":2') && ++subscribed === N) process.send?.('subscribed');
    });
    sockets.push(ws);
  }
  process.on('message', () => process.exit(0));
} else {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc: npx tsx --expose-gc bench/connection-heap.ts');
  const engine = new Engine({ config: loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'none', logLevel: 'error', apiKey: 'heap', dashboard: false, commandsPerSecond: 100_000, commandBurst: 100_000 }) });
  const { port } = await engine.start();
  const snapshot = (name: string): Map<string, { count: number; bytes: number }> => {
    gc();
    gc();
    const file = writeHeapSnapshot(join(tmpdir(), `supernova-${name}-${process.pid}.heapsnapshot`));
    const byType = summarize(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot);
    rmSync(file);
    return byType;
  };
  const before = snapshot('before');
  const clients = fork(process.argv[1] as string, [String(N)], { env: { ...process.env, CONNECTION_HEAP_CLIENTS: `ws://127.0.0.1:${port}/connection/websocket` }, execArgv: process.execArgv });
  await new Promise((resolve) => clients.once('message', resolve));
  // Idle means idle: each actor's handler watchdog lapses one handler timeout after its last frame.
  await new Promise((resolve) => setTimeout(resolve, engine.config.handlerTimeoutMs + 1000));
  const after = snapshot('after');
  const rows = [...after].map(([type, a]) => {
    const b = before.get(type) ?? { count: 0, bytes: 0 };
    return { type, perConnection: (a.count - b.count) / N, bytes: (a.bytes - b.bytes) / N };
  }).sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  process.stdout.write(`${engine.connections} connections: JS heap ${(total / 1024).toFixed(2)} KiB per connection\n`);
  for (const r of rows.slice(0, 25)) process.stdout.write(`${r.bytes.toFixed(0).padStart(6)} B ${r.perConnection.toFixed(2).padStart(6)}x  ${r.type}\n`);
  clients.send('exit');
  await engine.stop();
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes and counts by type (objects and closures by constructor name). */
function summarize(s: HeapSnapshot): Map<string, { count: number; bytes: number }> {
  const fields = s.snapshot.meta.node_fields;
  const stride = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += stride) {
    const type = types[s.nodes[i + iType] as number] ?? '?';
    const key = type === 'object' || type === 'closure' ? `${type}:${s.strings[s.nodes[i + iName] as number]}` : type;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += s.nodes[i + iSize] as number;
    out.set(key, entry);
  }
  return out;
}
