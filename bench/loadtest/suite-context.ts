import type { Progress } from './progress.js';
import { ServerSampler } from './server-sampler.js';
import type { LoadTarget } from './target.js';

/** What every command runs with: the target, Ctrl-C, progress and a log line sink. */
export interface SuiteContext {
  target: LoadTarget;
  signal: AbortSignal;
  progress: Progress;
  log: (line: string) => void;
}

/** Server figures over the run: /metrics of the target, and /proc when the suite started it. */
export function samplerFor(target: LoadTarget, intervalMs: number): ServerSampler {
  return new ServerSampler({ metricsUrl: `${target.httpUrl}/metrics`, pid: target.pid, intervalMs });
}
