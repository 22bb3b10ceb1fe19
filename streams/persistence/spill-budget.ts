/**
 * The bytes every table's spill may hold on disk together (SUPERNOVA_SPILL_MAX_BYTES): one budget
 * for the directory, because it is one disk an operator sizes, whichever table fills it.
 */
export class SpillBudget {
  private used_ = 0;

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.used_;
  }

  /** Takes `bytes` if they fit; false (nothing taken) when they do not. */
  reserve(bytes: number): boolean {
    if (this.used_ + bytes > this.maxBytes) return false;
    this.used_ += bytes;
    return true;
  }

  /** Counts bytes found on disk at start: taken even past the limit, which then refuses appends until they drain. */
  adopt(bytes: number): void {
    this.used_ += bytes;
  }

  release(bytes: number): void {
    this.used_ = Math.max(0, this.used_ - bytes);
  }
}
