/**
 * Child-process entry of `npm run loadtest` when no --url is given: SuperNova with its production
 * defaults (simulated feed, `public:` namespace with client publish), on a free loopback port.
 * SUPERNOVA_* variables of the environment apply, as they would to `npm start`.
 */
import { loadConfig } from '../../src/index.js';
import { runEngineServerChild } from './engine-server.js';

// Ctrl-C reaches the whole process group: the parent stops this server once its users have left
// (and guardLifetime ends it if the parent goes), so the interrupted run still measures cleanly.
process.on('SIGINT', () => {});

await runEngineServerChild(() => loadConfig(process.env, { port: 0, host: '127.0.0.1', logLevel: 'warn' }));
