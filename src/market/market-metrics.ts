import { Counter, type Registry } from 'prom-client';

/** What the market metrics read at scrape time. */
export interface MarketMetricSources {
  readonly lateTicks: number;
  readonly ticksDropped: number;
}

/**
 * Market pipeline counters on the engine's registry. They read the pipeline's own totals at
 * scrape time, so nothing is updated per tick.
 */
export function registerMarketMetrics(registry: Registry, source: MarketMetricSources): void {
  sourced(registry, 'supernova_bars_late_ticks_total', 'Ticks dropped from a bar interval because they arrived after the watermark closed their bar', () => source.lateTicks);
  sourced(registry, 'supernova_market_ticks_dropped_total', 'Ticks ignored because price or size was not a usable number', () => source.ticksDropped);
}

function sourced(registry: Registry, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const total = read();
      if (total > seen) this.inc(total - seen);
      seen = total;
    },
  });
}
