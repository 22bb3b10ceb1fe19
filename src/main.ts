import { constants } from 'node:os';
import { ConfigError, loadConfig, type SupernovaConfig } from './config/index.js';
import { Engine } from './engine.js';
import { createLogger, type Logging } from './logging/index.js';

/**
 * What stop() may take beyond the drain grace, and the exit beyond the log flush deadline:
 * stopping feeds, actors and Redis connections takes milliseconds when they work, so several
 * seconds past both means something hangs. It keeps the whole shutdown (5 s drain delay + 2 s
 * grace + 1 s flush + this, by default) well inside Kubernetes' default 30 s before SIGKILL.
 */
const SHUTDOWN_MARGIN_MS = 5_000;
const EXIT_FAILED = 1;

/** `npm start`: the engine on its embedded defaults, configured by SUPERNOVA_* variables. */
async function main(): Promise<void> {
  let config: SupernovaConfig;
  let logging: Logging;
  let engine: Engine;
  try {
    config = loadConfig(process.env);
    logging = createLogger(config);
    engine = new Engine({ config, logger: logging.logger, logSink: logging.sink });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`supernova: ${err.message}\n`);
      process.exit(EXIT_FAILED);
    }
    throw err;
  }
  const { logger: log, sink } = logging;
  // Lines still unwritten at the deadline are lost: process.exit does not wait for a pipe.
  const exitAfterFlush = (code: number) => void sink.flush(config.logFlushMs).then(() => process.exit(code));

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // The second signal is the operator insisting: no drain, no flush.
    if (stopping) process.exit(128 + constants.signals[signal]);
    stopping = true;
    // SIGTERM comes from an orchestrator (Kubernetes, Docker, systemd) whose load balancer must
    // see readiness fail before the clients go; SIGINT is someone at a terminal: no one to wait for.
    const delayMs = signal === 'SIGTERM' ? config.drainDelayMs : 0;
    const hardMs = delayMs + config.shutdownGraceMs + config.logFlushMs + SHUTDOWN_MARGIN_MS;
    // Not unref'd: if stop() waits on a promise nobody settles, the loop could empty and the
    // process end with 0 as if the drain had worked; this timer makes that a failure instead.
    setTimeout(() => {
      log.error({ signal, afterMs: hardMs }, 'shutdown did not finish in time; exiting');
      process.exit(EXIT_FAILED);
    }, hardMs);
    log.info({ signal }, 'shutting down');
    engine.drain(delayMs).then(
      () => exitAfterFlush(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        exitAfterFlush(EXIT_FAILED);
      },
    );
  };
  // SIGHUP, as daemons read it: take up new files (the sentiment model) without a restart.
  process.on('SIGHUP', () => {
    engine.reloadModel().then(
      (changed) => log.info({ changed }, 'sentiment model reloaded'),
      (err: unknown) => log.error({ err: (err as Error).message }, 'sentiment model reload failed; the current model goes on scoring'),
    );
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await engine.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'start failed');
    exitAfterFlush(EXIT_FAILED);
  }
}

void main();
