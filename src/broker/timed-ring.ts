/**
 * A fixed-capacity FIFO that overwrites its oldest item when full, with a time and a weight (its
 * bytes) per item: history without shifting arrays, whose memory is known. The times sit in their
 * own Float64Array so that checking the oldest for expiry, which every append does, reads one
 * number from a small array instead of touching an old item object that has long left the CPU cache.
 */
export class TimedRing<T> {
  private readonly items: (T | undefined)[];
  private readonly times: Float64Array;
  private readonly weights: Float64Array;
  private head = 0;
  private count = 0;
  /** The sum of the weights of the items held. */
  weight = 0;
  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
    this.times = new Float64Array(capacity);
    this.weights = new Float64Array(capacity);
  }
  get size(): number {
    return this.count;
  }
  push(item: T, time: number, weight = 0): void {
    if (this.capacity === 0) return;
    const tail = (this.head + this.count) % this.capacity;
    if (this.count < this.capacity) this.count++;
    else {
      this.weight -= this.weights[tail] as number;
      this.head = (this.head + 1) % this.capacity;
    }
    this.items[tail] = item;
    this.times[tail] = time;
    this.weights[tail] = weight;
    this.weight += weight;
  }
  /** Item i from the oldest (0) to the newest (size-1). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.items[(this.head + i) % this.capacity];
  }
  /** When item i was pushed. */
  timeAt(i: number): number {
    return i < 0 || i >= this.count ? Number.NaN : (this.times[(this.head + i) % this.capacity] as number);
  }
  /** The weight item i was pushed with. */
  weightAt(i: number): number {
    return i < 0 || i >= this.count ? Number.NaN : (this.weights[(this.head + i) % this.capacity] as number);
  }
  /** Drops the oldest item; false when there was none. */
  dropOldest(): boolean {
    if (this.count === 0) return false;
    this.items[this.head] = undefined;
    this.weight -= this.weights[this.head] as number;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return true;
  }
  /** Drops the items pushed more than `maxAge` before `now`, oldest first. */
  dropOlderThan(now: number, maxAge: number): void {
    while (this.count > 0 && now - (this.times[this.head] as number) > maxAge) this.dropOldest();
  }
}
