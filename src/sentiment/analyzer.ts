import { readAnalyzeTexts, type AnalyzeLimits } from '../../streams/index.js';
import type { SentimentResult, SentimentScorer } from '../ml/index.js';

/** Analyze requests already hold `limit` texts at the scorer; the caller should retry shortly. */
export class AnalyzeBusyError extends Error {
  readonly code = 'SCORER_BUSY' as const;
  constructor(readonly pending: number, readonly limit: number, setting: string) {
    super(`the scorer is busy: ${pending} texts of analyze requests wait for it (limit ${limit}, ${setting}); retry shortly`);
    this.name = 'AnalyzeBusyError';
  }
}

export interface AnalyzerOptions {
  scorer: SentimentScorer;
  limits: AnalyzeLimits;
  /** Texts of analyze requests at the scorer at once at most; beyond, AnalyzeBusyError. */
  maxPendingTexts: number;
  /** The setting of maxPendingTexts, for the message. */
  pendingSetting: string;
}

/**
 * `POST /api/v1/sentiment/analyze` and RPC `sentiment.analyze`: the same body `{texts}`, the same
 * checks and the same answer `{results: [{label, scores}]}` in the order given. Requests go
 * straight to the scorer (which batches them itself when it is the replicas), bounded in texts
 * waiting so that a flood is refused rather than queued.
 */
export class Analyzer {
  private pending = 0;

  constructor(private readonly o: AnalyzerOptions) {}

  get pendingTexts(): number {
    return this.pending;
  }

  async analyze(body: unknown): Promise<{ results: SentimentResult[] }> {
    const texts = readAnalyzeTexts(body, this.o.limits);
    if (this.pending + texts.length > this.o.maxPendingTexts) throw new AnalyzeBusyError(this.pending, this.o.maxPendingTexts, this.o.pendingSetting);
    this.pending += texts.length;
    try {
      const scored = await this.o.scorer.score(texts);
      // Only the documented fields: a scorer's extras (cache hits, timings) are not the API.
      return { results: scored.map((r) => ({ label: r.label, scores: { bearish: r.scores.bearish, bullish: r.scores.bullish, neutral: r.scores.neutral } })) };
    } finally {
      this.pending -= texts.length;
    }
  }
}

/** A scorer error that means "not now" (stopped, not loaded, overloaded) rather than a fault. */
export function scorerUnavailable(err: unknown): { retry: boolean } | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SCORER_BUSY' || code === 'OVERLOADED' || code === 'BUSY' || code === 'QUEUE_FULL') return { retry: true };
  if (code === 'STOPPED' || code === 'MODEL_NOT_LOADED') return { retry: false };
  return undefined;
}
