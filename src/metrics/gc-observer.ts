import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

export interface GcKindStats {
  count: number;
  pauseMs: number;
}

const kindNames: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Garbage collections since start(): count and total pause by kind (minor, major, incremental, weakcb). */
export class GcObserver {
  private readonly byKind = new Map<string, GcKindStats>();
  private observer: PerformanceObserver | undefined;

  start(): void {
    if (this.observer) return;
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.add(entry);
    });
    this.observer.observe({ type: 'gc' });
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  stats(): Record<string, GcKindStats> {
    return Object.fromEntries([...this.byKind].map(([kind, s]) => [kind, { ...s }]));
  }

  private add(entry: PerformanceEntry): void {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    const name = kind === undefined ? 'unknown' : (kindNames[kind] ?? `kind${kind}`);
    const s = this.byKind.get(name) ?? { count: 0, pauseMs: 0 };
    s.count++;
    s.pauseMs += entry.duration;
    this.byKind.set(name, s);
  }
}
