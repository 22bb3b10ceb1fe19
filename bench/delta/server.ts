/**
 * The server side of `bench:delta`: a whole engine on a free port and a publisher loop of
 * `market:` snapshots made by the market pipeline's own MarketState from a random-walk tick
 * stream (a few ticks per snapshot, as conflation at 100 ms lets through). It reports its CPU
 * time over each measuring window; the load is in another process.
 */
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { MarketState } from '../../streams/market/market-state.js';
import { mulberry32 } from '../../streams/feeds/prng.js';

type Command = { cmd: 'start'; symbols: number; ratePerSymbol: number; staticBytes: number } | { cmd: 'window' } | { cmd: 'stop' };

const config = loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'none', logLevel: 'silent', sentiment: false, shutdownGraceMs: 500 });
const engine = new Engine({ config, logger: pino({ level: 'silent' }) });
const { port } = await engine.start();
const send = (m: unknown): void => void process.send?.(m);
send({ ready: port });

let timer: NodeJS.Timeout | undefined;
let cpuAt = process.cpuUsage();
let published = 0;

function startPublishing(symbols: number, ratePerSymbol: number, staticBytes: number): void {
  // --static-bytes: reference data a richer snapshot would carry unchanged (name, listing, profile).
  const profile = staticBytes > 0 ? Array.from({ length: staticBytes }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('') : undefined;
  const state = new MarketState();
  const names = Array.from({ length: symbols }, (_, i) => `SYM${i}`);
  const rand = mulberry32(42);
  const price = names.map(() => 50 + rand() * 400);
  let ts = 1_764_000_000_000;
  const tickEveryMs = 1000 / ratePerSymbol;
  timer = setInterval(() => {
    ts += tickEveryMs;
    for (let i = 0; i < symbols; i++) {
      const symbol = names[i] as string;
      // 1 to 4 trades since the last snapshot.
      for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
        price[i] = Math.max(1, Math.round(((price[i] as number) + (rand() - 0.5) * 0.2) * 100) / 100);
        state.apply({ symbol, price: price[i] as number, size: 1 + Math.floor(rand() * 300), ts });
      }
      const snapshot = state.snapshot(symbol);
      void engine.publish(`market:${symbol}`, profile === undefined ? snapshot : { ...snapshot, profile });
      published++;
    }
  }, tickEveryMs);
}

process.on('message', (m: Command) => {
  if (m.cmd === 'start') {
    startPublishing(m.symbols, m.ratePerSymbol, m.staticBytes);
    send({ started: true });
  } else if (m.cmd === 'window') {
    // The CPU time since the last window mark, then a new mark.
    const cpu = process.cpuUsage(cpuAt);
    cpuAt = process.cpuUsage();
    send({ window: { cpuUs: cpu.user + cpu.system, published } });
    published = 0;
  } else if (m.cmd === 'stop') {
    if (timer) clearInterval(timer);
    timer = undefined;
    void engine.stop().then(() => process.exit(0));
  }
});
