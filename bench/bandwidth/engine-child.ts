/**
 * The server of `bench:bandwidth`: a whole Engine (no feed, no sentiment) in its own process, so
 * that its CPU time is the server's alone. It publishes through `engine.publish()`, as the
 * pipelines do.
 */
import { pino } from 'pino';
import { Engine, loadConfig } from '../../src/index.js';
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit, type Handlers } from '../shared/ipc.js';
import { generatorOf } from './payloads.js';
import type { EngineChildArgs, EngineChildRpc } from './protocol.js';

const TICK_MS = 10;

async function main(): Promise<void> {
  const args = childArgs<EngineChildArgs>();
  guardLifetime(args.maxLifetimeMs);
  const config = loadConfig({}, {
    port: 0, host: '127.0.0.1', feed: 'none', sentiment: false, logLevel: 'warn', dashboard: false,
    httpRateOps: 'off', commandsPerSecond: 1000, commandBurst: 1000,
    ...args.engine,
  });
  const engine = new Engine({ config, logger: pino({ level: 'warn' }) });
  const { port } = await engine.start();
  const handlers: Handlers<EngineChildRpc> = {
    publish: (plan) => new Promise((resolve) => {
      const next = generatorOf(plan.kind);
      const started = performance.now();
      let sent = 0;
      // Publications are due at the plan's rate; each tick makes those that are due, one callback
      // each, so the fan-out's burst batching does not merge them into fewer frames.
      const timer = setInterval(() => {
        const due = Math.min(plan.count, Math.floor(((performance.now() - started) / 1000) * plan.ratePerS) + 1);
        const publishOne = () => {
          if (sent >= due) return;
          sent++;
          engine.publish(plan.channel, next()).catch((err: unknown) => process.stderr.write(`publish failed: ${String(err)}\n`));
          setImmediate(publishOne);
        };
        publishOne();
        if (sent >= plan.count) {
          clearInterval(timer);
          resolve({ publishedMs: performance.now() - started });
        }
      }, TICK_MS);
    }),
    cpu: () => {
      const u = process.cpuUsage();
      return { userUs: u.user, systemUs: u.system };
    },
    subscribers: () => engine.connections,
    stop: stopThenExit(() => engine.stop()),
  };
  serveParent(handlers);
  announceReady({ port });
}

main().catch((err: unknown) => {
  process.stderr.write(`engine child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
