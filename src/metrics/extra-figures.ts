/** Returns a part's figures for the snapshot: JSON-serialisable, cheap, synchronous. */
export type ExtraFiguresProvider = () => unknown;

/**
 * The extensible section of the metrics snapshot: parts that come later (cache, tasks, models)
 * register a provider by name and appear under `extra.<name>` without changing the snapshot type.
 */
export class ExtraFigures {
  private readonly providers = new Map<string, ExtraFiguresProvider>();

  /** Adds or replaces the provider of `name`; returns a function that removes it. */
  register(name: string, provider: ExtraFiguresProvider): () => void {
    this.providers.set(name, provider);
    return () => {
      if (this.providers.get(name) === provider) this.providers.delete(name);
    };
  }

  /** Every provider's figures; one that throws or is not JSON shows `{error}` instead of failing the snapshot. */
  read(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, provider] of this.providers) {
      try {
        // A copy through JSON: a BigInt or a cycle fails here, not later in every subscriber's encoder.
        out[name] = JSON.parse(JSON.stringify(provider() ?? null)) as unknown;
      } catch (err) {
        out[name] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
    return out;
  }
}
