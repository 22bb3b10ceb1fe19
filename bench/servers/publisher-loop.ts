import { epochMs } from '../shared/clock.js';
import type { PublishOutcome, PublishPlan } from '../shared/server-protocol.js';

/** The payload of every publication: the latency probe and a sequence number. */
export interface BenchPayload {
  ts: number;
  seq: number;
}

export type PublishFn = (channel: string, data: BenchPayload) => void;

/**
 * Publishes at a fixed rate in batches every `tickMs`, for `durationMs`, round-robin over the
 * channels. The number due is derived from elapsed time, not counted per tick, so a late tick (a
 * busy server) catches up instead of lowering the offered rate: the load stays what was asked and
 * any shortfall shows up as delivery loss or latency on the subscribers' side.
 */
export function runPublisher(plan: PublishPlan, publish: PublishFn): Promise<PublishOutcome> {
  const channels = plan.channels;
  const perSecond = plan.ratePerChannel * channels.length;
  const total = Math.round((perSecond * plan.durationMs) / 1000);
  const perChannel = channels.map(() => 0);
  const start = performance.now();
  // A hard cap on ticks, for a timer that misbehaves: the loop always ends.
  const maxTicks = Math.ceil(plan.durationMs / plan.tickMs) * 4 + 100;
  let published = 0;
  let failures = 0;
  let ticks = 0;
  let maxLag = 0;

  return new Promise((resolve) => {
    const tick = () => {
      ticks++;
      const elapsed = performance.now() - start;
      const lag = elapsed - (ticks - 1) * plan.tickMs;
      if (lag > maxLag) maxLag = lag;
      const due = elapsed >= plan.durationMs || ticks >= maxTicks ? total : Math.min(total, Math.floor((perSecond * elapsed) / 1000));
      while (published < due) {
        const c = published % channels.length;
        const channel = channels[c] ?? '';
        try {
          publish(channel, { ts: epochMs(), seq: published });
          perChannel[c] = (perChannel[c] ?? 0) + 1;
        } catch {
          failures++;
        }
        published++;
      }
      if (published >= total) {
        resolve({ published, perChannel, elapsedMs: performance.now() - start, maxTickLagMs: Math.max(0, maxLag), failures });
        return;
      }
      // Aim at the next tick boundary so timer drift does not accumulate.
      setTimeout(tick, Math.max(0, ticks * plan.tickMs - (performance.now() - start)));
    };
    setTimeout(tick, 0);
  });
}
