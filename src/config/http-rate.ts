import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/**
 * An HTTP rate limit: `points` requests per `durationSec` seconds; 0 points is off. It prints as
 * it is written (`100/1s`, `off`), which is what the README's configuration table shows.
 */
export class HttpRate {
  static readonly OFF = new HttpRate(0, 0);

  constructor(readonly points: number, readonly durationSec: number) {}

  get off(): boolean {
    return this.points === 0;
  }

  toString(): string {
    if (this.off) return 'off';
    const d = this.durationSec;
    const [n, unit] = d % 3600 === 0 ? [d / 3600, 'h'] : d % 60 === 0 ? [d / 60, 'm'] : [d, 's'];
    return `${this.points}/${n}${unit}`;
  }
}

/**
 * `N/Ts` (N requests per T seconds; `m` and `h` work too, `100/s` is `100/1s`), or `off` / `0`.
 * Whole seconds only: the Redis store keeps windows as key TTLs in seconds.
 */
export const httpRateSchema = z.union([z.string(), z.instanceof(HttpRate)]).transform((raw, ctx) => {
  if (raw instanceof HttpRate) return raw;
  const v = raw.trim().toLowerCase();
  if (v === 'off' || v === '0') return HttpRate.OFF;
  const m = /^(\d{1,9})\/(\d{0,6})(s|m|h)$/.exec(v);
  const points = m ? Number(m[1]) : 0;
  const count = m ? (m[2] === '' ? 1 : Number(m[2])) : 0;
  if (!m || points < 1 || count < 1) {
    ctx.addIssue({ code: 'custom', message: 'a rate is N/T with T in s, m or h (e.g. 100/1s, 600/1m), or off' });
    return z.NEVER;
  }
  const durationSec = count * UNIT_SECONDS[m[3] as keyof typeof UNIT_SECONDS];
  if (durationSec > 86_400) {
    ctx.addIssue({ code: 'custom', message: 'a rate window is at most 24h' });
    return z.NEVER;
  }
  return new HttpRate(points, durationSec);
});
