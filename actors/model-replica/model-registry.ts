/** One loaded model version. */
export interface LoadedVersion {
  readonly version: string;
  readonly dir: string;
  /** The tokenizer's character bound: texts are cut to it before hashing. */
  maxChars: number;
}

/**
 * The versions loaded in every replica, least recently current first, and the one new requests
 * go to. Past `max` the least recently current goes (never the current one).
 */
export class ModelRegistry {
  private readonly versions = new Map<string, LoadedVersion>();
  private currentVersion: string | undefined;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`models max must be a positive integer, got ${max}`);
  }

  get current(): LoadedVersion | undefined {
    return this.currentVersion === undefined ? undefined : this.versions.get(this.currentVersion);
  }

  get(version: string): LoadedVersion | undefined {
    return this.versions.get(version);
  }

  /** Makes `v` current (adding it if new); returns the versions evicted to stay within max. */
  makeCurrent(v: LoadedVersion): LoadedVersion[] {
    this.versions.delete(v.version);
    this.versions.set(v.version, v);
    this.currentVersion = v.version;
    const evicted: LoadedVersion[] = [];
    for (const old of this.versions.values()) {
      if (this.versions.size <= this.max) break;
      if (old.version === this.currentVersion) continue;
      this.versions.delete(old.version);
      evicted.push(old);
    }
    return evicted;
  }

  /** Current first, then the others, most recent first: the order a new worker loads them in. */
  list(): LoadedVersion[] {
    return [...this.versions.values()].reverse();
  }
}
