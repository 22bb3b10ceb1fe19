/** Slots a ring starts with; it doubles up to its capacity (see TimedRing). */
const INITIAL_SLOTS = 4;

/**
 * A FIFO of at most `capacity` items that overwrites its oldest item when full, with a time and a
 * weight (its bytes) per item: history without shifting arrays, whose memory is known. The times
 * sit in their own Float64Array so that checking the oldest for expiry, which every append does,
 * reads one number from a small array instead of touching an old item object that has long left
 * the CPU cache.
 *
 * Its slots grow by doubling up to `capacity` rather than being allocated up front: most streams
 * never fill (a symbol seen once holds one publication), and a preallocated 1,000-slot ring was
 * 16 KB per stream, 48 KB per new symbol with its `ticks:` and two `bars:` streams. Once grown to
 * capacity a ring is as before: a push is a few stores and a modulo.
 */
export class TimedRing<T> {
  private items: (T | undefined)[];
  private times: Float64Array;
  private weights: Float64Array;
  /** Slots allocated now: at most capacity. */
  private slots_: number;
  private head = 0;
  private count = 0;
  /** The sum of the weights of the items held. */
  weight = 0;
  constructor(readonly capacity: number) {
    this.slots_ = Math.min(capacity, INITIAL_SLOTS);
    this.items = new Array<T | undefined>(this.slots_);
    this.times = new Float64Array(this.slots_);
    this.weights = new Float64Array(this.slots_);
  }
  get size(): number {
    return this.count;
  }
  /** Slots allocated now (what the ring costs besides its items). */
  get slots(): number {
    return this.slots_;
  }
  push(item: T, time: number, weight = 0): void {
    if (this.count === this.slots_) {
      if (this.slots_ < this.capacity) this.grow();
      else if (this.capacity === 0) return;
    }
    const tail = (this.head + this.count) % this.slots_;
    if (this.count < this.slots_) this.count++;
    else {
      this.weight -= this.weights[tail] as number;
      this.head = (this.head + 1) % this.slots_;
    }
    this.items[tail] = item;
    this.times[tail] = time;
    this.weights[tail] = weight;
    this.weight += weight;
  }
  /** Item i from the oldest (0) to the newest (size-1). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.items[(this.head + i) % this.slots_];
  }
  /** When item i was pushed. */
  timeAt(i: number): number {
    return i < 0 || i >= this.count ? Number.NaN : (this.times[(this.head + i) % this.slots_] as number);
  }
  /** The weight item i was pushed with. */
  weightAt(i: number): number {
    return i < 0 || i >= this.count ? Number.NaN : (this.weights[(this.head + i) % this.slots_] as number);
  }
  /** Drops the oldest item; false when there was none. */
  dropOldest(): boolean {
    if (this.count === 0) return false;
    this.items[this.head] = undefined;
    this.weight -= this.weights[this.head] as number;
    this.head = (this.head + 1) % this.slots_;
    this.count--;
    return true;
  }
  /** Drops the items pushed more than `maxAge` before `now`, oldest first. */
  dropOlderThan(now: number, maxAge: number): void {
    while (this.count > 0 && now - (this.times[this.head] as number) > maxAge) this.dropOldest();
  }
  /** Doubles the slots (up to capacity), the items moved to start at slot 0 in order. */
  private grow(): void {
    const slots = Math.min(this.capacity, 2 * this.slots_);
    const items = new Array<T | undefined>(slots);
    const times = new Float64Array(slots);
    const weights = new Float64Array(slots);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.slots_;
      items[i] = this.items[from];
      times[i] = this.times[from] as number;
      weights[i] = this.weights[from] as number;
    }
    this.items = items;
    this.times = times;
    this.weights = weights;
    this.slots_ = slots;
    this.head = 0;
  }
}
