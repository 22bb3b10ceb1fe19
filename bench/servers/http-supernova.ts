/**
 * Child-process entry: SuperNova for the HTTP benchmark, with the simulated feed so the market
 * routes have snapshots to serve. The route and its bytes are SuperNova's own.
 */
import { randomUUID } from 'node:crypto';
import { Engine, loadConfig } from '../../src/index.js';
import { runHttpServerChild } from '../http/http-server-child.js';

await runHttpServerChild(async () => {
  const engine = new Engine({ config: loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'warn', feed: 'simulated', apiKey: randomUUID() }) });
  const { port } = await engine.start();
  return { port, stop: () => engine.stop() };
});
