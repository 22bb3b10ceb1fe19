/** Child-process entry: SuperNova's Engine, configured for the fan-out and scale benchmarks, driven over IPC. */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/index.js';
import { runEngineServerChild } from './engine-server.js';

await runEngineServerChild((args) => loadConfig({}, {
  port: args.port ?? 0,
  host: '127.0.0.1',
  feed: 'none',
  logLevel: 'warn',
  // A key turns the server API on, so start-up does not warn that it is off.
  apiKey: randomUUID(),
  // Enough room that a subscriber falling behind for a second is measured as latency, not cut off.
  maxBackpressureBytes: 16 * 1024 * 1024,
  // Every subscriber sends connect+subscribe at once during ramp-up; the limiter is not under test.
  commandsPerSecond: 100_000,
  commandBurst: 100_000,
  namespaces: [{ name: 'bench', historySize: 0 }],
  ...(args.fanoutBatchMax === undefined ? {} : { fanoutBatchMax: args.fanoutBatchMax }),
}));
