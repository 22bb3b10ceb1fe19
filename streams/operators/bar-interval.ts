import { InvalidOptionError } from '../errors.js';

/** A bar length: its channel name (`1s`, `1m`) and its length in milliseconds. */
export interface BarInterval {
  readonly name: string;
  readonly ms: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses `500ms`, `1s`, `5s`, `1m`, `1h`. The name is kept as written because it is part of the
 * channel name (`bars:1m:SYM`). Bars are aligned to multiples of the length since the epoch, so
 * lengths up to an hour line up with the clock in every whole-hour time zone.
 */
export function barInterval(name: string): BarInterval {
  const match = /^([1-9]\d{0,6})(ms|s|m|h)$/.exec(name);
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : 0;
  if (!match || ms < 100 || ms > 86_400_000) {
    throw new InvalidOptionError('interval', `${JSON.stringify(name)} is not a bar interval: use e.g. 1s, 5s, 1m, 1h (100ms to 24h)`);
  }
  return { name, ms };
}
