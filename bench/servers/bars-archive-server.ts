/**
 * Child-process entry: SuperNova serving the bars API from a database of stored bars and an empty
 * ring (no feed), with the cache's reads on or off, for the cache benchmark.
 */
import { Engine, loadConfig } from '../../src/index.js';
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { BarsServerArgs, BarsServerRpc } from '../cache/bars-protocol.js';

const args = childArgs<BarsServerArgs>();
guardLifetime(args.maxLifetimeMs);
process.on('SIGINT', () => {});
const engine = new Engine({
  config: loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'warn', feed: 'none', dashboard: false, databaseUrl: args.databaseUrl, cacheReads: args.cacheReads, barIntervals: ['1m'], barHistory: 10 }),
});
const { port } = await engine.start();
serveParent<BarsServerRpc>({ stop: stopThenExit(() => engine.stop()) });
announceReady({ port, pid: process.pid });
