/**
 * The bytes every table's spill may hold on disk together (SUPERNOVA_SPILL_MAX_BYTES): one budget
 * for the directory, because it is one disk an operator sizes, whichever table fills it.
 */
export class SpillBudget {
  private used_ = 0;

  /** With a parent, the bytes count against both: a table's share within the directory's budget. */
  constructor(readonly maxBytes: number, private readonly parent?: SpillBudget) {}

  get used(): number {
    return this.used_;
  }

  /** Takes `bytes` if they fit; false (nothing taken) when they do not. */
  reserve(bytes: number): boolean {
    if (this.used_ + bytes > this.maxBytes) return false;
    if (this.parent && !this.parent.reserve(bytes)) return false;
    this.used_ += bytes;
    return true;
  }

  /** Counts bytes found on disk at start: taken even past the limit, which then refuses appends until they drain. */
  adopt(bytes: number): void {
    this.used_ += bytes;
    this.parent?.adopt(bytes);
  }

  release(bytes: number): void {
    const released = Math.min(bytes, this.used_);
    this.used_ -= released;
    this.parent?.release(released);
  }
}
