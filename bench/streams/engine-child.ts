/**
 * The engine of `bench:streams`, in its own process (pinned to its own core by the parent):
 * no feed, no sentiment, room for the sessions the parent opens. Prints its port, stops on SIGTERM.
 */
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';

const sessions = Number(process.argv[2] ?? 1000);
const config = loadConfig({}, {
  port: 0, host: '127.0.0.1', feed: 'none', sentiment: false, dashboard: false, apiKey: 'bench-key', logLevel: 'silent',
  streamMaxSessions: sessions * 2 + 10, maxConnections: sessions * 2 + 10,
  // The load clients answer no pings: a ping period longer than the run keeps 3012 out of the figures.
  pingIntervalMs: 600_000,
});
const engine = new Engine({ config, logger: pino({ level: 'silent' }) });
const { port } = await engine.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => void engine.stop().then(() => process.exit(0)));
