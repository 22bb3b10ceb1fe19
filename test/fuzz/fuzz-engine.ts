import { EngineProcess } from '../support/engine-process.js';

export const API_KEY = 'fuzz-key';
export const HEALTHY_CHANNEL = 'healthy:stream';

/**
 * Namespaces of the fuzz engine, beside the defaults: `fuzz` takes client publications with
 * history, recovery, presence and join/leave (every path a publication can take), and `healthy`
 * takes only the server API's, so the fuzz cannot crowd the healthy client's channel.
 */
const namespaces = [
  { name: 'fuzz', historySize: 50, historyTtlMs: 300_000, recoverable: true, presence: true, joinLeave: true, allowPublish: true },
  { name: 'healthy', historySize: 1000, historyTtlMs: 300_000, recoverable: true, allowPublish: false },
];

/** The engine as `npm start` runs it, with a small simulated feed (so market RPCs answer) and the server API on. */
export function startFuzzEngine(): Promise<EngineProcess> {
  return EngineProcess.start({
    SUPERNOVA_API_KEY: API_KEY,
    SUPERNOVA_FEED: 'simulated',
    SUPERNOVA_SYMBOLS: 'AAPL,MSFT',
    SUPERNOVA_NAMESPACES: JSON.stringify(namespaces),
    SUPERNOVA_SHUTDOWN_GRACE_MS: '200',
  });
}
