/**
 * Finds which of a failed fuzz run's frames kill the engine on their own:
 *   npx tsx test/fuzz/replay.ts REPORT.json [--all]
 * (the report's path is in the fuzz's failure message). Each frame the run sent last, nearest the
 * crash first, goes alone to a fresh engine with a JSON, a msgpack and a protobuf subscriber on every channel
 * fuzz clients publish into; a frame after which the engine exits is printed with its bytes and
 * the engine's stack. `--all` goes on past the first such frame.
 */
import { readFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import type { EngineProcess } from '../support/engine-process.js';
import type { CrashReport } from './crash-report.js';
import { decodeData, type SentFrame } from './fuzz-fleet.js';
import { FuzzSocket, newCounters } from './fuzz-socket.js';
import { Listener } from './listener.js';
import { PUBLISHABLE } from './frames.js';
import { startFuzzEngine } from './fuzz-engine.js';
import { protobufHandshake } from './protobuf-wire.js';

const packr = new Packr({ useRecords: false });
const [path, ...flags] = process.argv.slice(2);
if (!path) {
  console.error('usage: npx tsx test/fuzz/replay.ts REPORT.json [--all]');
  process.exit(2);
}
const all = flags.includes('--all');
const report = JSON.parse(readFileSync(path, 'utf8')) as CrashReport;
const crashAt = report.exit?.at ?? Infinity;
const suspects = report.recent.filter((f) => f.at <= crashAt).sort((a, b) => b.at - a.at);

async function fresh(): Promise<{ engine: EngineProcess; listeners: Listener[] }> {
  const engine = await startFuzzEngine();
  const listeners = (['json', 'msgpack', 'protobuf'] as const).map((encoding) => new Listener(engine.url, encoding, PUBLISHABLE));
  for (const l of listeners) await l.start();
  return { engine, listeners };
}

async function tryFrame(engine: EngineProcess, f: SentFrame): Promise<boolean> {
  const s = new FuzzSocket(engine.url, f.encoding, newCounters());
  if (!(await s.opened)) return !engine.alive;
  if (!f.fresh) {
    if (f.encoding === 'protobuf') s.send(protobufHandshake([{ id: 1, connect: { name: 'replay' } }]), true);
    else s.send(f.encoding === 'msgpack' ? packr.pack({ id: 1, connect: {} }) : '{"id":1,"connect":{}}', f.encoding === 'msgpack');
    await s.settle([1], 2000);
  }
  s.send(decodeData(f.data), f.binary);
  await s.settle(f.ids, 1000);
  await new Promise((r) => setTimeout(r, 200));
  s.terminate();
  return !engine.alive;
}

let env = await fresh();
const culprits: SentFrame[] = [];
console.log(`${suspects.length} frames to try, nearest the crash first`);
for (const f of suspects) {
  if (!(await tryFrame(env.engine, f))) continue;
  culprits.push(f);
  const bytes = Buffer.from(decodeData(f.data));
  console.log(`\nKILLS THE ENGINE: ${f.kind} (${f.detail}) over ${f.encoding}, ${f.binary ? 'binary' : 'text'} frame of ${bytes.length} bytes`);
  console.log(`  ${f.encoding === 'json' && !f.data.startsWith('b64:') ? `text: ${f.data.slice(0, 400)}` : `hex: ${bytes.toString('hex').slice(0, 800)}`}`);
  console.log(`  ${/^(\w*Error: .*)$/m.exec(env.engine.stderr())?.[1] ?? env.engine.output().slice(0, 600)}`);
  for (const l of env.listeners) await l.stop();
  if (!all) break;
  env = await fresh();
}
for (const l of env.listeners) await l.stop();
await env.engine.stop();
console.log(`\n${culprits.length} of ${suspects.length} frames kill the engine alone`);
process.exit(0);
