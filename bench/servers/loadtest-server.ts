/**
 * Child-process entry of `npm run loadtest` when no --url is given: SuperNova with its production
 * defaults (simulated feed, `public:` namespace with client publish), on a free loopback port.
 * SUPERNOVA_* variables of the environment apply, as they would to `npm start`.
 */
import { Engine, loadConfig } from '../../src/index.js';
import { runServerChild } from './server-child.js';

// Ctrl-C reaches the whole process group: the parent stops this server once its users have left
// (and guardLifetime ends it if the parent goes), so the interrupted run still measures cleanly.
process.on('SIGINT', () => {});

await runServerChild(async () => {
  const engine = new Engine({ config: loadConfig(process.env, { port: 0, host: '127.0.0.1', logLevel: 'warn' }) });
  const { port } = await engine.start();
  return {
    port,
    publish: (channel, data) => {
      engine.publish(channel, data).catch((err: unknown) => process.stderr.write(`publish failed: ${String(err)}\n`));
    },
    connections: () => engine.connections,
    stop: () => engine.stop(),
  };
});
