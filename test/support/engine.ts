import { pino } from 'pino';
import { Engine, loadConfig, type ConfigOverrides, type RpcMethod, type TaskDefinition } from '../../src/index.js';

export interface TestEngine {
  engine: Engine;
  port: number;
  url: string;
  http: string;
  stop(): Promise<void>;
}

/** A whole engine on a free port, quiet, with no feed and no sentiment pipeline unless a test asks for them. */
export async function startEngine(overrides: ConfigOverrides = {}, rpc?: Record<string, RpcMethod>, tasks?: Record<string, TaskDefinition>): Promise<TestEngine> {
  // Sentiment off unless a test asks for it: the other tests need no model loaded.
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', feed: 'none', logLevel: 'silent', shutdownGraceMs: 500, sentiment: false, ...overrides });
  const engine = new Engine({ config, logger: pino({ level: 'silent' }), ...(rpc ? { rpc } : {}), ...(tasks ? { tasks } : {}) });
  const { port } = await engine.start();
  return {
    engine,
    port,
    url: `ws://127.0.0.1:${port}/connection/websocket`,
    http: `http://127.0.0.1:${port}`,
    stop: () => engine.stop(),
  };
}
