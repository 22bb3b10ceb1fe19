import { afterEach, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { PauseWatch } from './pause-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Holds this process's event loop, as a paused VM or a long synchronous step does. */
function hold(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* held */ }
}

describe('PauseWatch: the fuzz harness leaves its own stalls out of what it measures', () => {
  const watch = new PauseWatch({ tickMs: 20, thresholdMs: 300 });
  afterEach(() => watch.stop());

  it('time spent waiting on the engine counts in full', async () => {
    watch.start();
    const from = performance.now();
    await sleep(600);
    expect(watch.elapsed(from)).toBeGreaterThanOrEqual(590);
    expect(watch.figures.stalls).toBe(0);
  });

  it('a stall of the harness is left out, asked about while it is still unnoticed and after its tick alike', async () => {
    watch.start();
    await sleep(50);
    const from = performance.now();
    hold(800);
    // No tick has run since the hold: the gap under way is seen all the same.
    expect(watch.elapsed(from)).toBeLessThan(150);
    await sleep(60);
    expect(watch.figures.stalls).toBe(1);
    expect(watch.figures.longestMs).toBeGreaterThanOrEqual(800);
    const waited = watch.elapsed(from);
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(waited).toBeLessThan(250);
  });

  it('only the part of a stall inside the span is left out', async () => {
    watch.start();
    await sleep(50);
    hold(600);
    const from = performance.now() - 200;
    await sleep(300);
    // The 200 ms before `from` were all stalled; the 300 ms after it were not.
    const measured = watch.elapsed(from);
    expect(measured).toBeGreaterThanOrEqual(290);
    expect(measured).toBeLessThan(450);
  });
});
