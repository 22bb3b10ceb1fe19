import { describe, expect, it } from 'vitest';
import { SpillBudget } from './spill-budget.js';

describe('SpillBudget', () => {
  it('a table\'s share counts against both its own limit and the directory\'s, and gives back to both', () => {
    const dir = new SpillBudget(100);
    const ticks = new SpillBudget(50, dir);
    expect(ticks.reserve(40)).toBe(true);
    // Over its share, though the directory has room.
    expect(ticks.reserve(20)).toBe(false);
    expect(dir.used).toBe(40);
    expect(dir.reserve(55)).toBe(true);
    // Within its share, but the directory is full.
    expect(ticks.reserve(10)).toBe(false);
    expect([ticks.used, dir.used]).toEqual([40, 95]);
    ticks.release(40);
    expect([ticks.used, dir.used]).toEqual([0, 55]);
    // Releasing more than it holds never gives back what the other tables hold.
    ticks.release(30);
    expect(dir.used).toBe(55);
    ticks.adopt(70);
    expect([ticks.used, dir.used]).toEqual([70, 125]);
    expect(ticks.reserve(1)).toBe(false);
  });
});
