import { Observable } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { TimedReading } from './ports.js';
import type { MetricsSnapshot } from './snapshot.js';

/**
 * Turns timed readings into snapshots. The first reading is the baseline and emits nothing; each
 * later one emits a snapshot whose rates are the counter deltas over the real time elapsed since
 * the previous reading (not the nominal interval, which a busy event loop stretches).
 *
 * A counter that went down (a source that restarted) counts from zero, as Prometheus' rate() does;
 * an interval of zero length has rates of 0. `seq` numbers the snapshots of one subscription.
 */
export function toSnapshots(): OperatorFunction<TimedReading, MetricsSnapshot> {
  return (source) =>
    new Observable<MetricsSnapshot>((subscriber) => {
      let previous: TimedReading | undefined;
      let seq = 0;
      return source.subscribe({
        next: (current) => {
          const before = previous;
          previous = current;
          if (!before) return;
          const elapsedMs = Math.max(0, current.at - before.at);
          const { publicationsTotal, deliveriesTotal, ...rest } = current.reading;
          subscriber.next({
            seq: ++seq,
            ts: current.at,
            intervalMs: elapsedMs,
            ...rest,
            publicationsPerSec: perSecond(publicationsTotal, before.reading.publicationsTotal, elapsedMs),
            deliveriesPerSec: perSecond(deliveriesTotal, before.reading.deliveriesTotal, elapsedMs),
          });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

function perSecond(total: number, before: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  const delta = total >= before ? total - before : total;
  return (delta * 1000) / elapsedMs;
}
