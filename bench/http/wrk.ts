import { execFile } from 'node:child_process';
import type { HttpLoadResult } from './load-result.js';

export interface WrkRun {
  wrkPath: string;
  url: string;
  connections: number;
  durationS: number;
  /** Run wrk under `taskset -c CPUS` (its threads on the load core), when given. */
  taskset?: { path: string; cpus: string } | undefined;
  threads: number;
}

/** Runs wrk once; its own timeout plus a margin bounds the call. */
export function runWrk(o: WrkRun): Promise<HttpLoadResult> {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '--latency', '--timeout', '5s', o.url];
  const [file, argv] = o.taskset ? [o.taskset.path, ['-c', o.taskset.cpus, o.wrkPath, ...args]] : [o.wrkPath, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: (o.durationS + 30) * 1000, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        reject(new Error(`wrk failed: ${err.message}`));
        return;
      }
      try {
        resolve({ ...parseWrk(stdout), tool: 'wrk', connections: o.connections, durationS: o.durationS });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function ms(value: string, unit: string): number {
  return Number(value) * (UNIT_MS[unit] ?? Number.NaN);
}

/** The figures of wrk's `--latency` report. */
export function parseWrk(out: string): Pick<HttpLoadResult, 'requestsPerS' | 'p50Ms' | 'p99Ms' | 'errors'> {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(out);
  if (!rps?.[1] || !p50?.[1] || !p50[2] || !p99?.[1] || !p99[2]) throw new Error(`unexpected wrk output:\n${out.slice(0, 600)}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1, 5).reduce((a, v) => a + Number(v), 0) : 0) + (non2xx?.[1] ? Number(non2xx[1]) : 0);
  return { requestsPerS: Number(rps[1]), p50Ms: ms(p50[1], p50[2]), p99Ms: ms(p99[1], p99[2]), errors };
}
