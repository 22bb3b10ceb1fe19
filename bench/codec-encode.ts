/**
 * What the fan-out pays per publication and encoding: one encode of the push, then the native
 * topic publish. Protobuf against JSON (the baseline) and msgpack, in the same process, on the
 * pushes the engine sends most (a bench publication, a `ticks:` batch, a client publication with
 * its publisher's info and tags), and a protobuf reply through the generated code for scale.
 * Run: npx tsx bench/codec-encode.ts   (one process, one core; prints a table, checks nothing)
 */
import { jsonCodec, msgpackCodec, protobufCodec, type Codec } from '../src/protocol/index.js';
import type { ServerMessage } from '../src/protocol/index.js';

const ROUNDS = 7;
const PER_ROUND = 100_000;

const pushes: [string, ServerMessage][] = [
  ['bench publication', { push: { channel: 'bench:0', pub: { data: { ts: 1_767_225_600_123.25, seq: 123_456 }, offset: 123_456 } } }],
  ['ticks: batch of 20', { push: { channel: 'ticks:AAPL', pub: { data: { price: Array.from({ length: 20 }, (_, i) => 189.23 + i / 100), size: Array.from({ length: 20 }, (_, i) => 100 + i), ts: Array.from({ length: 20 }, (_, i) => 1_767_225_600_000 + i) }, offset: 98_765 } } }],
  ['client publication, info, tags', { push: { channel: 'public:chat', pub: { data: { text: 'hello, desk', from: 'ana' }, offset: 42, info: { client: '5a0c8c4e-0d65-4d0b-9a4b-0d4b8c5a5f10', user: '42', conn_info: { name: 'Ana' } }, tags: { kind: 'chat' } } } }],
  ['history reply of 10 (generated path)', { id: 7, history: { publications: Array.from({ length: 10 }, (_, i) => ({ data: { n: i }, offset: i + 1 })), offset: 10, epoch: 'abcd' } }],
];

/** Median ns per encode over ROUNDS rounds, after a warm-up round. */
function nsPerEncode(codec: Codec, message: ServerMessage): number {
  const times: number[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < PER_ROUND; i++) codec.encodeOne(message);
    if (r > 0) times.push(((performance.now() - t0) * 1e6) / PER_ROUND);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

const rows = ['| message | JSON ns | msgpack ns | protobuf ns | protobuf / JSON | protobuf bytes / JSON bytes |', '|---|---|---|---|---|---|'];
for (const [label, message] of pushes) {
  const [j, m, p] = [jsonCodec, msgpackCodec, protobufCodec].map((c) => nsPerEncode(c, message)) as [number, number, number];
  const bytes = (c: Codec) => { const out = c.encodeOne(message); return typeof out === 'string' ? Buffer.byteLength(out) : out.length; };
  rows.push(`| ${label} | ${j.toFixed(0)} | ${m.toFixed(0)} | ${p.toFixed(0)} | ${(p / j).toFixed(2)}x | ${(bytes(protobufCodec) / bytes(jsonCodec)).toFixed(2)} |`);
}
console.log(rows.join('\n'));
