/** The fuzz's knobs, from FUZZ_* variables (`npm run fuzz -- --long` sets them; see test/fuzz/run.ts). */
export interface FuzzOptions {
  /** Most frames to send. */
  frames: number;
  seed: number;
  /** Time budget of the sending; 0: until every frame is sent. */
  seconds: number;
  /** Fuzz workers, each with a JSON and a msgpack connection. */
  workers: number;
  /** Frames per fast-check run: the engine's health is checked between runs. */
  batch: number;
  /** The healthy client's longest allowed wait for a publication. */
  maxStallMs: number;
  /** Most the engine's RSS may grow over the run. */
  maxRssGrowthMb: number;
  /** Where to write the figures as JSON, if anywhere. */
  report: string | undefined;
}

function num(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return v;
}

export function fuzzOptions(env: Record<string, string | undefined>): FuzzOptions {
  const counted = env.FUZZ_FRAMES !== undefined && env.FUZZ_FRAMES !== '';
  return {
    frames: num(env, 'FUZZ_FRAMES', 30_000),
    // A fresh seed each run finds more over time; the seed is printed, and FUZZ_SEED replays it.
    seed: num(env, 'FUZZ_SEED', Math.floor(Math.random() * 2 ** 31)),
    // The suite's run is bounded by time (about a minute in all); a counted run sends every frame.
    seconds: num(env, 'FUZZ_SECONDS', counted ? 0 : 45),
    workers: num(env, 'FUZZ_WORKERS', 20),
    batch: num(env, 'FUZZ_BATCH', 80),
    maxStallMs: num(env, 'FUZZ_MAX_STALL_MS', 2000),
    maxRssGrowthMb: num(env, 'FUZZ_MAX_RSS_GROWTH_MB', 300),
    report: env.FUZZ_REPORT || undefined,
  };
}
