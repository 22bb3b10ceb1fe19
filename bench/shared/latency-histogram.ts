/**
 * A fixed-bucket, HdrHistogram-like latency histogram in microseconds: 128 exact buckets below
 * 128 µs, then 64 buckets per power of two (under 1.6 % relative error) up to 2^31 µs (~36 min).
 * Memory is constant whatever the sample count, and histograms of several load processes merge by
 * adding counts, so percentiles over all subscribers are exact to the bucket width.
 */

const LINEAR = 128;
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
const MAX_US = 2 ** 31 - 1;
const BUCKETS = LINEAR + (31 - SUB_BITS - 1) * SUB;

/** Non-empty buckets as [index, count] pairs: what crosses process boundaries. */
export type SparseHistogram = [number, number][];

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private maxUs = 0;
  private sumUs = 0;

  get count(): number {
    return this.n;
  }

  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  recordUs(us: number): void {
    // Publisher and subscriber read the same clock, but in two processes: tiny negatives are rounding.
    const v = us <= 0 ? 0 : us >= MAX_US ? MAX_US : Math.round(us);
    const idx = bucketOf(v);
    this.counts[idx] = (this.counts[idx] ?? 0) + 1;
    this.n++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxUs = 0;
    this.sumUs = 0;
  }

  /** The value (µs, bucket midpoint) at or below which `p` percent of samples fall; 0 when empty. */
  percentileUs(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(midpointOf(i), this.maxUs);
    }
    return this.maxUs;
  }

  get maxValueUs(): number {
    return this.maxUs;
  }

  get meanUs(): number {
    return this.n === 0 ? 0 : this.sumUs / this.n;
  }

  toSparse(): { buckets: SparseHistogram; maxUs: number; sumUs: number } {
    const buckets: SparseHistogram = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) buckets.push([i, c]);
    }
    return { buckets, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  /** Non-empty buckets as [bucket midpoint in µs, count], ascending: what a histogram chart draws. */
  buckets(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) out.push([midpointOf(i), c]);
    }
    return out;
  }

  merge(other: { buckets: SparseHistogram; maxUs: number; sumUs: number }): void {
    for (const [i, c] of other.buckets) {
      if (i < 0 || i >= BUCKETS) continue;
      this.counts[i] = (this.counts[i] ?? 0) + c;
      this.n += c;
    }
    this.sumUs += other.sumUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }
}

function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS;
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

function midpointOf(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor((i - LINEAR) / SUB) + 1;
  const sub = ((i - LINEAR) % SUB) + SUB;
  const low = sub * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}
