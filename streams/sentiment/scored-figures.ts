import { round } from './rolling-sentiment.js';
import { SENTIMENT_CLASSES, type ClassScores, type ScoredText, type SentimentClass } from './types.js';

/**
 * A scorer's answer for one text as the pipeline publishes, aggregates and stores it:
 * probabilities clamped to [0, 1] and rounded to six decimals, an unknown label read as neutral.
 * Whatever rescores stored news (the `sentiment.recompute` task) goes through it too, so that its
 * rows and hours are those the pipeline would have made.
 */
export function scoredFigures(result: ScoredText): { label: SentimentClass; scores: ClassScores; sentiment: number } {
  const scores = { bearish: round(num(result?.scores?.bearish)), bullish: round(num(result?.scores?.bullish)), neutral: round(num(result?.scores?.neutral)) };
  const label = SENTIMENT_CLASSES.includes(result?.label) ? result.label : 'neutral';
  return { label, scores, sentiment: round(scores.bullish - scores.bearish) };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
