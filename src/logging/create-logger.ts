import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { SupernovaConfig } from '../config/index.js';
import { LogSink } from './log-sink.js';

export interface Logging {
  logger: Logger;
  /** The logger's output: its dropped-line count, and the flush the exit waits on. */
  sink: LogSink;
}

export type LoggingConfig = Pick<SupernovaConfig, 'logLevel' | 'logBacklogLines' | 'logBacklogBytes'>;

/**
 * The engine's logger: pino's JSON lines into a LogSink on stdout. Unlike pino's default
 * destination it never blocks the event loop on a full pipe, holds a bounded backlog, and has
 * no exit hook that could keep the process from ending.
 */
export function createLogger(config: LoggingConfig, out: Writable = process.stdout): Logging {
  const sink = new LogSink({
    out,
    maxLines: config.logBacklogLines,
    maxBytes: config.logBacklogBytes,
    // Called from a write callback, so after `logger` below exists.
    onGap: (dropped) => logger.warn({ dropped }, 'log lines dropped: the log output was not taking them'),
  });
  const logger = pino({ level: config.logLevel, base: { service: 'supernova' } }, sink);
  return { logger, sink };
}
