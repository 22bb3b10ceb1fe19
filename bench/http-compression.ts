/**
 * What compressing an HTTP response costs, for the router's choices: brotli quality 4 (used)
 * against brotli's default 11 and gzip's default 6, and inline against the thread pool.
 * Run: npx tsx bench/http-compression.ts   (prints a table; checks nothing)
 */
import { brotliCompressSync, constants } from 'node:zlib';
import { compressAsync, compressSync } from '../src/http/compression.js';

const snapshot = (i: number) => ({ symbol: `S${i}`, last: 189.23 + i, change: 1.23, changePct: 0.65, open: 188, high: 190.5, low: 187.2, volume: 123_456 + i, trades: 5_432, ts: 1_767_225_600_000 + i });

function medianMs(run: () => unknown, rounds: number): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

async function medianAsyncMs(run: () => Promise<unknown>, rounds: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

const rows: string[] = ['| JSON bytes | gzip-6 ms (bytes) | br-4 ms (bytes) | br-11 ms (bytes) | br-4 on the thread pool, ms |', '|---|---|---|---|---|'];
for (const n of [10, 100, 1_000, 10_000]) {
  const body = Buffer.from(JSON.stringify({ snapshots: Array.from({ length: n }, (_, i) => snapshot(i)) }));
  const rounds = n >= 10_000 ? 5 : 21;
  const cell = (f: () => Buffer) => `${medianMs(f, rounds).toFixed(2)} (${f().length})`;
  const br11 = n >= 10_000 ? 'skipped' : cell(() => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
  const pooled = await medianAsyncMs(() => compressAsync(body, 'br'), rounds);
  rows.push(`| ${body.length} | ${cell(() => compressSync(body, 'gzip'))} | ${cell(() => compressSync(body, 'br'))} | ${br11} | ${pooled.toFixed(2)} |`);
}
console.log(rows.join('\n'));
