import { rssKiB } from '../orchestrator/proc-stats.js';

/** One reading of the server's own figures; a field is undefined when it could not be read. */
export interface ServerSample {
  /** Seconds since the sampler started. */
  t: number;
  rssMiB: number | undefined;
  heapMiB: number | undefined;
  connections: number | undefined;
}

export interface ServerSamplerOptions {
  /** Prometheus endpoint (SuperNova's `/metrics`): heap, connections, and RSS when no pid is known. */
  metricsUrl?: string | undefined;
  /** A server this suite started itself: RSS comes from /proc/PID/status, exact and free. */
  pid?: number | undefined;
  intervalMs: number;
}

/** Samples kept at most; beyond it every other one is dropped (resolution halves, span stays). */
export const MAX_SERVER_SAMPLES = 4000;

/**
 * Reads the server's memory and connection count over time from the outside, so the figures
 * cost the measured server nothing but a scrape. One scrape at a time: a slow server is sampled
 * less often rather than piled up with requests.
 */
export class ServerSampler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly list: ServerSample[] = [];
  private readonly startedAt = performance.now();
  latest: ServerSample | undefined;

  constructor(private readonly o: ServerSamplerOptions) {}

  get samples(): readonly ServerSample[] {
    return this.list;
  }

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async sample(): Promise<ServerSample | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    try {
      const metrics = this.o.metricsUrl ? await scrape(this.o.metricsUrl, Math.max(500, this.o.intervalMs)) : new Map<string, number>();
      const procRss = this.o.pid !== undefined ? rssKiB(this.o.pid) / 1024 : Number.NaN;
      const promRss = (metrics.get('process_resident_memory_bytes') ?? Number.NaN) / 2 ** 20;
      const heap = (metrics.get('nodejs_heap_size_used_bytes') ?? Number.NaN) / 2 ** 20;
      const s: ServerSample = {
        t: (performance.now() - this.startedAt) / 1000,
        rssMiB: finite(Number.isFinite(procRss) ? procRss : promRss),
        heapMiB: finite(heap),
        connections: finite(metrics.get('supernova_connections') ?? Number.NaN),
      };
      this.latest = s;
      this.list.push(s);
      if (this.list.length > MAX_SERVER_SAMPLES) {
        const kept = this.list.filter((_, i) => i % 2 === 0);
        this.list.splice(0, this.list.length, ...kept);
      }
      return s;
    } finally {
      this.busy = false;
    }
  }
}

function finite(v: number): number | undefined {
  return Number.isFinite(v) ? v : undefined;
}

/** Unlabelled samples of a Prometheus text page; an empty map when the server does not answer. */
export async function scrape(url: string, timeoutMs: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return out;
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) ([-+0-9.eE]+|NaN)$/.exec(line);
      if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
    }
  } catch {
    // An unreachable or slow server leaves the sample's fields undefined.
  }
  return out;
}
