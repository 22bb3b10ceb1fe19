import { describe, expect, it } from 'vitest';
import { scaleStep } from './scaling.js';

const limits = { min: 2, max: 50, upWaitMs: 50, downIdleMs: 10_000 };
const reading = { size: 2, busy: 2, queued: 0, oldestWaitMs: 0, calmForMs: 0 };

describe('scaleStep', () => {
  it('keeps the pool within min and max', () => {
    expect(scaleStep({ ...reading, size: 0, busy: 0 }, limits)).toBe(2);
    expect(scaleStep({ ...reading, size: 60, busy: 60 }, limits)).toBe(-10);
  });

  it('grows when the oldest task waited long enough or more wait than run, at most doubling', () => {
    expect(scaleStep({ ...reading, queued: 1, oldestWaitMs: 10 }, limits)).toBe(0);
    expect(scaleStep({ ...reading, queued: 1, oldestWaitMs: 60 }, limits)).toBe(1);
    expect(scaleStep({ ...reading, queued: 5, oldestWaitMs: 0 }, limits)).toBe(2);
    expect(scaleStep({ ...reading, size: 40, busy: 40, queued: 1_000, oldestWaitMs: 100 }, limits)).toBe(10);
    // Not while a worker is idle: the queue is draining.
    expect(scaleStep({ ...reading, size: 4, busy: 3, queued: 10, oldestWaitMs: 100 }, limits)).toBe(0);
  });

  it('shrinks one at a time, only after the calm period (hysteresis)', () => {
    const idle = { ...reading, size: 10, busy: 0 };
    expect(scaleStep({ ...idle, calmForMs: 9_999 }, limits)).toBe(0);
    expect(scaleStep({ ...idle, calmForMs: 10_000 }, limits)).toBe(-1);
    expect(scaleStep({ ...idle, size: 2, calmForMs: 60_000 }, limits)).toBe(0);
    expect(scaleStep({ ...idle, queued: 1, calmForMs: 60_000 }, limits)).toBe(0);
  });
});
