import type { QuickOptions } from './options.js';
import { runLoad, type LoadRunResult, type LoadSpec } from './run-load.js';
import { samplerFor, type SuiteContext } from './suite-context.js';

/** Queued requests a user may leave unanswered before the next one counts as backlog. */
export const MAX_IN_FLIGHT_PER_USER = 32;

export function quickSpec(o: QuickOptions): LoadSpec {
  return {
    name: 'quick',
    users: o.users,
    durationMs: o.durationMs,
    rampUpMs: o.rampUpMs,
    ratePerUser: o.ratePerUser,
    rpcRatio: o.rpcRatio,
    usersPerChannel: o.usersPerChannel,
    client: o.client,
    requestTimeoutMs: o.requestTimeoutMs,
    maxInFlightPerUser: MAX_IN_FLIGHT_PER_USER,
  };
}

/** `loadtest quick`: one load phase, with the server sampled once a second. */
export async function runQuick(o: QuickOptions, ctx: SuiteContext): Promise<LoadRunResult> {
  ctx.progress.phase('quick');
  try {
    return await runLoad(quickSpec(o), ctx.target, { signal: ctx.signal, sampler: samplerFor(ctx.target, 1000), onTick: (done, p) => ctx.progress.update(done, p) });
  } finally {
    ctx.progress.stop();
  }
}
