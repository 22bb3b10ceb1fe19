/**
 * Child-process entry of `npm run bench:cluster`: one SuperNova node configured the way an
 * operator configures one, from SUPERNOVA_* variables (the orchestrator sets the broker, the
 * Redis URL and prefix, the feed and the API key); only where it listens and its log level are
 * fixed here. Driven over IPC like the other server children.
 */
import { loadConfig } from '../../src/index.js';
import { runEngineServerChild } from './engine-server.js';

await runEngineServerChild((args) => loadConfig(process.env, { port: args.port ?? 0, host: '127.0.0.1', logLevel: 'warn' }));
