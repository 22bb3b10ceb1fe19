/** A load level of the stress test. */
export interface StressLevel {
  users: number;
  /** Requests per second per user. */
  ratePerUser: number;
}

export interface StressMeasurement extends StressLevel {
  p99Ms: number;
  errorRate: number;
  requestsPerS: number;
  messagesPerS: number;
}

export interface StressLimits {
  maxP99Ms: number;
  maxErrorRate: number;
}

export const DEFAULT_STRESS_LIMITS: StressLimits = { maxP99Ms: 1000, maxErrorRate: 0.05 };

export interface StressStep extends StressMeasurement {
  /** Why this level broke the limits; undefined when it held. */
  broke: string | undefined;
}

export interface BreakingPoint {
  steps: StressStep[];
  /** Highest level that held, if any. */
  lastHeld: StressStep | undefined;
  /** First level that broke, if one did. */
  breakingPoint: StressStep | undefined;
  summary: string;
}

/**
 * Levels to try: users and rate both rise each step (users x usersFactor, rate x rateFactor),
 * users capped at maxUsers (then only the rate rises). Offered load grows geometrically, so a
 * breaking point anywhere in a wide range is reached in a few steps.
 */
export function stressLadder(start: StressLevel, o: { usersFactor: number; rateFactor: number; maxUsers: number; steps: number }): StressLevel[] {
  const out: StressLevel[] = [];
  let users = start.users;
  let rate = start.ratePerUser;
  for (let i = 0; i < o.steps; i++) {
    out.push({ users: Math.min(o.maxUsers, Math.round(users)), ratePerUser: Number(rate.toPrecision(3)) });
    users *= o.usersFactor;
    rate *= o.rateFactor;
  }
  return out;
}

/** Why a measurement breaks the limits, or undefined if it holds. */
export function breaks(m: StressMeasurement, limits: StressLimits): string | undefined {
  if (m.errorRate > limits.maxErrorRate) return `error rate ${(m.errorRate * 100).toFixed(1)} % > ${(limits.maxErrorRate * 100).toFixed(0)} %`;
  if (m.p99Ms > limits.maxP99Ms) return `p99 ${m.p99Ms.toFixed(0)} ms > ${limits.maxP99Ms} ms`;
  return undefined;
}

/**
 * Measures the ladder in order and stops at the first level that breaks the limits (or when
 * `shouldStop` says so, e.g. Ctrl-C). `measure` is the only effect, so the search itself is
 * deterministic and tested with a model of a server.
 */
export async function findBreakingPoint(
  ladder: readonly StressLevel[],
  measure: (level: StressLevel, index: number) => Promise<StressMeasurement>,
  limits: StressLimits = DEFAULT_STRESS_LIMITS,
  shouldStop: () => boolean = () => false,
): Promise<BreakingPoint> {
  const steps: StressStep[] = [];
  for (let i = 0; i < ladder.length; i++) {
    const level = ladder[i];
    if (!level || shouldStop()) break;
    const m = await measure(level, i);
    const step: StressStep = { ...m, broke: breaks(m, limits) };
    steps.push(step);
    if (step.broke) break;
  }
  const breakingPoint = steps.find((s) => s.broke !== undefined);
  const held = steps.filter((s) => s.broke === undefined);
  const lastHeld = held[held.length - 1];
  const level = (s: StressStep) => `${s.users} users x ${s.ratePerUser}/s (${Math.round(s.requestsPerS)} req/s, ${Math.round(s.messagesPerS)} msgs/s)`;
  let summary: string;
  if (breakingPoint) summary = `breaks at ${level(breakingPoint)}: ${breakingPoint.broke}${lastHeld ? `; last level that held: ${level(lastHeld)}` : '; no level held'}`;
  else if (steps.length === ladder.length && lastHeld) summary = `held every level up to ${level(lastHeld)}: no breaking point within the ladder`;
  else summary = `stopped after ${steps.length} of ${ladder.length} levels without a breaking point`;
  return { steps, lastHeld, breakingPoint, summary };
}
