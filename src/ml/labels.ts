/**
 * The classes, in the order of the data set's label numbers (0 bearish, 1 bullish, 2 neutral)
 * and of the model's outputs.
 */
export const SENTIMENT_LABELS = ['bearish', 'bullish', 'neutral'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];
export type SentimentScores = Record<SentimentLabel, number>;

/** One scored text. */
export interface SentimentResult {
  label: SentimentLabel;
  scores: SentimentScores;
}

/** The result for one row of class probabilities (in SENTIMENT_LABELS order); ties go to the first. */
export function resultFromProbabilities(probs: ArrayLike<number>, offset = 0): SentimentResult {
  const scores = { bearish: probs[offset] ?? 0, bullish: probs[offset + 1] ?? 0, neutral: probs[offset + 2] ?? 0 };
  let best = 0;
  for (let k = 1; k < SENTIMENT_LABELS.length; k++) if ((probs[offset + k] ?? 0) > (probs[offset + best] ?? 0)) best = k;
  return { label: SENTIMENT_LABELS[best] as SentimentLabel, scores };
}
