import { TICK_REJECT_REASONS, type TickRejectReason } from './tick-validation.js';

/** Refused ticks by reason; a fixed set of counters, so it cannot grow with bad input. */
export class RejectCounts {
  private readonly counts = new Map<TickRejectReason, number>(TICK_REJECT_REASONS.map((r) => [r, 0]));
  private totalCount = 0;

  record(reason: TickRejectReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.totalCount++;
  }

  get total(): number {
    return this.totalCount;
  }

  /** Every reason, zero or not, so a metrics exporter sees a stable label set. */
  byReason(): Record<TickRejectReason, number> {
    return Object.fromEntries(this.counts) as Record<TickRejectReason, number>;
  }
}
