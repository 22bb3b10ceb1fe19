import type { ConfigOverrides } from '../../src/index.js';
import type { PayloadPlan } from './payloads.js';

/** The engine child's one argument. */
export interface EngineChildArgs {
  engine: ConfigOverrides;
  maxLifetimeMs: number;
}

export interface EngineChildReady { port: number }

/** What the orchestrator asks the engine child. */
export interface EngineChildRpc {
  /** Publishes the plan's publications at its rate; answers once the last is published. */
  publish: { req: PayloadPlan; res: { publishedMs: number } };
  /** CPU time (user + system, µs) of the whole process since it started. */
  cpu: { req: null; res: { userUs: number; systemUs: number } };
  subscribers: { req: { channel: string }; res: number };
  stop: { req: null; res: null };
}
