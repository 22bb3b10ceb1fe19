import { describe, expect, it } from 'vitest';
import { Analyzer, AnalyzeBusyError, scorerUnavailable } from './analyzer.js';
import { MlError, type ModelsReport, type SentimentResult, type SentimentScorer } from '../ml/index.js';

/** A scorer whose answers wait until released, with an extra field the API must not pass on. */
class HeldScorer implements SentimentScorer {
  private gates: (() => void)[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async reload(): Promise<boolean> {
    return false;
  }
  async score(texts: readonly string[]): Promise<SentimentResult[]> {
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return texts.map(() => ({ label: 'neutral', scores: { bearish: 0.1, bullish: 0.1, neutral: 0.8 }, cached: true }) as SentimentResult);
  }
  report(): ModelsReport {
    return { backend: 'test', version: 'v', replicas: 0, texts: 0 };
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const limits = { maxBatch: 4, maxTextChars: 50, names: { maxBatch: 'SUPERNOVA_ML_MAX_BATCH', maxTextChars: 'SUPERNOVA_ML_MAX_TEXT_CHARS' } };

describe('Analyzer', () => {
  it('refuses texts beyond its bound of pending texts, and takes them again once answered', async () => {
    const scorer = new HeldScorer();
    const a = new Analyzer({ scorer, limits, maxPendingTexts: 3, pendingSetting: 'SUPERNOVA_SENTIMENT_MAX_BUFFERED' });
    const first = a.analyze({ texts: ['a', 'b'] });
    expect(a.pendingTexts).toBe(2);
    await expect(a.analyze({ texts: ['c', 'd'] })).rejects.toThrow(AnalyzeBusyError);
    await expect(a.analyze({ texts: ['c', 'd'] })).rejects.toThrow(/limit 3, SUPERNOVA_SENTIMENT_MAX_BUFFERED/);
    scorer.release();
    expect(await first).toEqual({ results: [{ label: 'neutral', scores: { bearish: 0.1, bullish: 0.1, neutral: 0.8 } }, { label: 'neutral', scores: { bearish: 0.1, bullish: 0.1, neutral: 0.8 } }] });
    expect(a.pendingTexts).toBe(0);
    const again = a.analyze({ texts: ['c', 'd', 'e'] });
    scorer.release();
    expect((await again).results).toHaveLength(3);
  });

  it('counts nothing pending for a refused body', async () => {
    const a = new Analyzer({ scorer: new HeldScorer(), limits, maxPendingTexts: 3, pendingSetting: 'X' });
    await expect(a.analyze({ texts: ['x'.repeat(51)] })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    expect(a.pendingTexts).toBe(0);
  });

  it('tells a scorer that is not available now from a fault', () => {
    expect(scorerUnavailable(new MlError('STOPPED', 'stopped'))).toEqual({ retry: false });
    expect(scorerUnavailable({ code: 'OVERLOADED' })).toEqual({ retry: true });
    expect(scorerUnavailable(new Error('bug'))).toBeUndefined();
    expect(scorerUnavailable(null)).toBeUndefined();
  });
});
