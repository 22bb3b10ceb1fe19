/**
 * What the shared rolling sentiment costs a scored batch: one add() of a batch of items to the
 * aggregates on Redis (one Lua script call), against the same add() in memory (the baseline),
 * in the same process and run, for the batch sizes the pipeline sends (SUPERNOVA_SENTIMENT_BATCH_MAX).
 * Scoring a batch takes milliseconds (bench:inference); this is what sharing adds to it.
 * Run: npx tsx bench/sentiment-aggregates.ts [--redis redis://127.0.0.1:6379]
 * (one process and its Redis on the machine's two cores; prints a table, checks nothing)
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { MemorySentimentAggregates, RedisSentimentAggregates, type AggregateInput, type SentimentAggregates } from '../streams/index.js';
import { createRedisConnector } from '../src/redis/index.js';
import { median } from './shared/median.js';

const { values } = parseArgs({ options: { redis: { type: 'string', default: 'redis://127.0.0.1:6379' } } });
const ROUNDS = 7;
const BATCHES = 300;
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'SPY', 'AMZN', 'META', 'GOOG'];
const rolling = { alpha: 0.1, hoursKept: 48, maxSymbols: 10_000 };

function batchOf(size: number, n: number): AggregateInput[] {
  return Array.from({ length: size }, (_, i) => ({
    symbol: SYMBOLS[(n + i) % SYMBOLS.length] as string, ts: Date.now() - i * 1_000, label: i % 3 === 0 ? 'bullish' : i % 3 === 1 ? 'bearish' : 'neutral',
    scores: { bearish: 0.2 + (i % 5) / 20, bullish: 0.5 - (i % 5) / 20, neutral: 0.3 },
  }));
}

/** Median µs per add() of a `size`-item batch over ROUNDS rounds of BATCHES, after a warm-up round. */
async function usPerAdd(a: SentimentAggregates, size: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) await a.add(batchOf(size, b));
    if (r > 0) times.push(((performance.now() - t0) * 1000) / BATCHES);
  }
  return median(times);
}

const prefix = `bench:aggregates:${process.pid}`;
const shared = new RedisSentimentAggregates({ redis: createRedisConnector({ url: values.redis }), prefix, rolling });
const memory = new MemorySentimentAggregates(rolling);
await Promise.all([shared.start(), memory.start()]);
const rows = ['| batch | memory µs / add | Redis µs / add | Redis / memory | Redis µs / item |', '|---|---|---|---|---|'];
try {
  for (const size of [1, 8, 32, 128]) {
    const m = await usPerAdd(memory, size);
    const r = await usPerAdd(shared, size);
    rows.push(`| ${size} | ${m.toFixed(1)} | ${r.toFixed(1)} | ${(r / m).toFixed(1)}x | ${(r / size).toFixed(1)} |`);
  }
  if (shared.stats().errors > 0) throw new Error(`${shared.stats().errors} adds failed: the figures are not of a working Redis`);
} finally {
  await Promise.all([shared.stop(), memory.stop()]);
  const admin = new Redis(values.redis);
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
}
console.log(rows.join('\n'));
