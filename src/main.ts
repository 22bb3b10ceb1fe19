import { ConfigError, loadConfig } from './config/index.js';
import { Engine } from './engine.js';

/** `npm start`: the engine on its embedded defaults, configured by SUPERNOVA_* variables. */
async function main(): Promise<void> {
  let engine: Engine;
  try {
    engine = new Engine({ config: loadConfig(process.env) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`supernova: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    engine.log.info({ signal }, 'draining');
    engine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        engine.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await engine.start();
  } catch (err) {
    engine.log.fatal({ err: (err as Error).message }, 'start failed');
    process.exit(1);
  }
}

void main();
