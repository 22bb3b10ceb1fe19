import { Counter, type Registry } from 'prom-client';
import type { TickRejectReason } from '../../streams/index.js';

/** What the market metrics read at scrape time. */
export interface MarketMetricSources {
  readonly lateTicks: number;
  readonly ticksRejected: Record<TickRejectReason, number>;
}

/**
 * Market pipeline counters on the engine's registry. They read the pipeline's own totals at
 * scrape time, so nothing is updated per tick.
 */
export function registerMarketMetrics(registry: Registry, source: MarketMetricSources): void {
  let lateSeen = 0;
  new Counter({
    name: 'supernova_bars_late_ticks_total',
    help: 'Ticks dropped from a bar interval because they arrived after the watermark closed their bar',
    registers: [registry],
    collect() {
      const total = source.lateTicks;
      if (total > lateSeen) this.inc(total - lateSeen);
      lateSeen = total;
    },
  });
  const rejectedSeen = new Map<string, number>();
  new Counter({
    name: 'supernova_market_ticks_rejected_total',
    help: 'Ticks the market pipeline refused, by reason (BAD_SYMBOL, BAD_PRICE, BAD_SIZE, BAD_TS, BAD_SHAPE, SYMBOL_LIMIT)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, total] of Object.entries(source.ticksRejected)) {
        const seen = rejectedSeen.get(reason) ?? 0;
        // inc(0) still creates the series, so every reason shows from the first scrape.
        this.inc({ reason }, Math.max(0, total - seen));
        rejectedSeen.set(reason, total);
      }
    },
  });
}
