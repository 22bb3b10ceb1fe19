/**
 * Replay throughput: the SPY 2013-10-07 day (250,601 ticks) through a whole engine as fast as
 * possible (ticks:SPY, market:SPY and bars:1s/1m:SPY publications into the memory broker), with
 * an HTTP client asking for bars every 20 ms meanwhile to show the server stays responsive.
 *
 *   npx tsx bench/replay-throughput.ts [path/to/ticks.csv.gz]
 *
 * A measurement, not a test: it prints figures and checks nothing.
 */
import { pino } from 'pino';
import { Engine, loadConfig } from '../src/index.js';

const file = process.argv[2] ?? '../shared/data/market/spy-2013-10-07/ticks.csv.gz';
const config = loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'replay', replaySpeed: 'max', replayFile: file, logLevel: 'silent' });
const engine = new Engine({ config, logger: pino({ level: 'silent' }) });
const started = performance.now();
const { port } = await engine.start();
const base = `http://127.0.0.1:${port}`;

// The replay is done when the ticks counter has not moved for half a second (a short stall,
// a GC pause or a slow disk read, must not end the measurement early).
const QUIET_MS = 500;
const latencies: number[] = [];
let previous = -1;
let ticks: number;
let finishedAt = started;
for (;;) {
  const asked = performance.now();
  await (await fetch(`${base}/api/v1/market/SPY/bars?limit=1`)).json();
  latencies.push(performance.now() - asked);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  // Ticks, not publications: a `ticks:` publication carries a batch of trades.
  ticks = Number(/supernova_pipeline_ticks_in_total\{pipeline="market"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  if (ticks > 0 && ticks === previous && performance.now() - finishedAt > QUIET_MS) break;
  if (ticks !== previous) finishedAt = performance.now();
  previous = ticks;
  await new Promise((r) => setTimeout(r, 20));
}
const seconds = (finishedAt - started) / 1000;
const first = latencies.shift() ?? 0;
latencies.sort((a, b) => a - b);
const bars = (await (await fetch(`${base}/api/v1/market/SPY/bars?interval=1m&page=1&limit=1`)).json()) as { total: number };
console.log(`${ticks} ticks replayed through the engine in ${seconds.toFixed(2)} s: ${Math.round(ticks / seconds)} ticks/s`);
console.log(`closed 1m bars: ${bars.total}; HTTP bars requests during the replay: p50 ${latencies[latencies.length >> 1]?.toFixed(1)} ms, p90 ${latencies[Math.floor(latencies.length * 0.9)]?.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms (${latencies.length} requests after the first, which took ${first.toFixed(1)} ms)`);
await engine.stop();
