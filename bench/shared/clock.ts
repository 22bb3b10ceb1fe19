/**
 * Milliseconds since the epoch with sub-millisecond resolution. timeOrigin + now() reads the same
 * wall clock in every process, which is what lets the server stamp a publication and a separate
 * load process compute its latency; Date.now() alone would round to whole milliseconds.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
