/** A part's section of the report: JSON-serialisable, may be asynchronous (a database's figures). */
export type ReportSection = () => unknown;

export interface PerformanceReportOptions {
  /** A section that takes longer is reported as timed out, so one slow part never holds the report. */
  sectionTimeoutMs?: number;
}

/**
 * `/performance/report`: one JSON document of every part's figures (health, resources, API,
 * cache, database and, as they come, tasks and models). Each part registers its own section, so
 * the report knows no part; a section that fails or is too slow says so in its place and the
 * others are still reported.
 */
export class PerformanceReport {
  private readonly sections = new Map<string, ReportSection>();
  private readonly timeoutMs: number;

  constructor(options: PerformanceReportOptions = {}) {
    this.timeoutMs = options.sectionTimeoutMs ?? 2_000;
  }

  /** Adds the section `name`; a second part under the same name is a wiring mistake, refused. */
  register(name: string, section: ReportSection): void {
    if (this.sections.has(name)) throw new Error(`report section "${name}" is registered twice`);
    this.sections.set(name, section);
  }

  get names(): string[] {
    return [...this.sections.keys()];
  }

  async render(): Promise<{ generatedAt: string; sections: Record<string, unknown> }> {
    const entries = await Promise.all([...this.sections].map(async ([name, section]) => [name, await this.read(name, section)] as const));
    return { generatedAt: new Date().toISOString(), sections: Object.fromEntries(entries) };
  }

  private async read(name: string, section: ReportSection): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`section ${name} took over ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      // Through JSON here: a BigInt or a cycle in one section fails that section, not the report.
      return JSON.parse(JSON.stringify((await Promise.race([Promise.resolve().then(section), timeout])) ?? null)) as unknown;
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
