import { findBreakingPoint, stressLadder, DEFAULT_STRESS_LIMITS, type StressMeasurement } from './analysis/breaking-point.js';
import { leakVerdict } from './analysis/leak-verdict.js';
import { stability } from './analysis/stability.js';
import type { ComprehensiveOptions } from './options.js';
import { MAX_IN_FLIGHT_PER_USER } from './quick.js';
import type { LoadtestResult } from './result.js';
import { runLoad, type LoadRunResult, type LoadSpec } from './run-load.js';
import { samplerFor, type SuiteContext } from './suite-context.js';

/** Users x2 and rate x1.5 per stress level: offered load x3 per step. */
const STRESS_GROWTH = { usersFactor: 2, rateFactor: 1.5 };
/** Memory samples of the leak phase: about this many over its duration, at most four a second. */
const LEAK_SAMPLES = 120;

/**
 * `loadtest comprehensive`: the phases one after another, each filling its part of `result` as
 * soon as it ends, so an interrupted run still reports every phase that finished.
 */
export async function runComprehensive(o: ComprehensiveOptions, ctx: SuiteContext, result: LoadtestResult): Promise<void> {
  const spec = (name: string, users: number, ratePerUser: number, durationMs: number): LoadSpec => ({
    name,
    users,
    durationMs,
    rampUpMs: Math.min(10_000, durationMs / 4),
    ratePerUser,
    rpcRatio: o.rpcRatio,
    usersPerChannel: o.usersPerChannel,
    client: o.client,
    requestTimeoutMs: o.requestTimeoutMs,
    maxInFlightPerUser: MAX_IN_FLIGHT_PER_USER,
  });
  const run = async (s: LoadSpec, samplerIntervalMs = 1000, sampler = samplerFor(ctx.target, samplerIntervalMs)): Promise<LoadRunResult> => {
    ctx.progress.phase(s.name);
    try {
      return await runLoad(s, ctx.target, { signal: ctx.signal, sampler, onTick: (done, p) => ctx.progress.update(done, p) });
    } finally {
      ctx.progress.stop();
    }
  };
  const stopped = () => ctx.signal.aborted;

  if (o.phases.includes('load') && !stopped()) {
    result.load = await run(spec('async load', o.users, o.ratePerUser, o.loadMs));
  }

  if (o.phases.includes('stress') && !stopped()) {
    const ladder = stressLadder({ users: Math.max(1, Math.round(o.users / 2)), ratePerUser: o.ratePerUser }, { ...STRESS_GROWTH, maxUsers: o.stressMaxUsers, steps: o.stressSteps });
    const runs: LoadRunResult[] = [];
    const measure = async (level: { users: number; ratePerUser: number }, i: number): Promise<StressMeasurement> => {
      const r = await run(spec(`stress ${i + 1}/${ladder.length}`, level.users, level.ratePerUser, o.stressStepMs));
      runs.push(r);
      const s = r.summary;
      ctx.log(`  stress ${level.users} users x ${level.ratePerUser}/s: ${Math.round(s.requestsPerS)} req/s, p99 ${s.response.p99Ms.toFixed(1)} ms (delivery ${s.delivery.p99Ms.toFixed(1)} ms), errors ${(s.errorRate * 100).toFixed(2)} %`);
      // The worse of the two p99s: a server can answer requests fast and still deliver late.
      return { ...level, p99Ms: Math.max(s.response.p99Ms, s.delivery.p99Ms), errorRate: s.errorRate, requestsPerS: s.requestsPerS, messagesPerS: s.messagesPerS };
    };
    const found = await findBreakingPoint(ladder, measure, DEFAULT_STRESS_LIMITS, stopped);
    result.stress = { ...found, limits: DEFAULT_STRESS_LIMITS, ladder, runs };
  }

  if (o.phases.includes('endurance') && !stopped()) {
    const r = await run(spec('endurance', o.users, o.ratePerUser, o.enduranceMs));
    result.endurance = { run: r, stability: stability(r.timeline, r.summary.errors) };
  }

  if (o.phases.includes('leak') && !stopped()) {
    const sampler = samplerFor(ctx.target, Math.max(250, o.leakMs / LEAK_SAMPLES));
    const r = await run(spec('memory leak', o.users, o.ratePerUser, o.leakMs), undefined, sampler);
    result.memoryLeak = { run: r, samples: [...sampler.samples], verdict: leakVerdict(sampler.samples) };
  }
}
