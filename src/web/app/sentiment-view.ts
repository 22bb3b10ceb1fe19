/**
 * Reads a `sentiment:SYM` publication: a score message `{type: "score", headline, label, scores,
 * sentiment, ...}` or an aggregate message `{type: "aggregate", ema, label, items, hour}`, the
 * shapes of streams/sentiment/types.ts. Anything else reads as nothing.
 */

import { signed } from './format.js';

export type SentimentLabel = 'bearish' | 'bullish' | 'neutral';
const LABELS: readonly string[] = ['bearish', 'bullish', 'neutral'];

export interface ScoredHeadline {
  id: string;
  text: string;
  label: SentimentLabel;
  /** The probability of its label. */
  probability: number;
  /** bullish - bearish, in [-1, 1]. */
  sentiment: number;
  ts: number | undefined;
}

export interface RollingSentiment {
  ema: number;
  label: SentimentLabel;
  /** Items of the newest hour, and of them per label. */
  hourItems: number;
  hourLabels: Record<SentimentLabel, number>;
}

export interface SentimentUpdate {
  headline: ScoredHeadline | undefined;
  rolling: RollingSentiment | undefined;
}

const NOTHING: SentimentUpdate = { headline: undefined, rolling: undefined };

export function readSentiment(data: unknown): SentimentUpdate {
  if (typeof data !== 'object' || data === null) return NOTHING;
  const d = data as Record<string, unknown>;
  if (d['type'] === 'score') {
    const text = typeof d['headline'] === 'string' ? d['headline'] : undefined;
    const label = labelOf(d['label']);
    const scores = typeof d['scores'] === 'object' && d['scores'] !== null ? (d['scores'] as Record<string, unknown>) : {};
    const probability = label === undefined ? undefined : finite(scores[label]);
    if (text === undefined || label === undefined || probability === undefined) return NOTHING;
    const sentiment = finite(d['sentiment']) ?? (finite(scores['bullish']) ?? 0) - (finite(scores['bearish']) ?? 0);
    return { headline: { id: typeof d['id'] === 'string' ? d['id'] : '', text, label, probability, sentiment, ts: finite(d['ts']) }, rolling: undefined };
  }
  if (d['type'] === 'aggregate') {
    const ema = finite(d['ema']);
    const label = labelOf(d['label']);
    if (ema === undefined || label === undefined) return NOTHING;
    const hour = typeof d['hour'] === 'object' && d['hour'] !== null ? (d['hour'] as Record<string, unknown>) : {};
    const labels = typeof hour['labels'] === 'object' && hour['labels'] !== null ? (hour['labels'] as Record<string, unknown>) : {};
    return {
      headline: undefined,
      rolling: {
        ema, label, hourItems: finite(hour['items']) ?? 0,
        hourLabels: { bearish: finite(labels['bearish']) ?? 0, bullish: finite(labels['bullish']) ?? 0, neutral: finite(labels['neutral']) ?? 0 },
      },
    };
  }
  return NOTHING;
}

/** `bullish 92%`: a headline's badge. */
export function badgeText(h: ScoredHeadline): string {
  return `${h.label} ${Math.round(h.probability * 100)}%`;
}

/** `+0.42 bullish · 12 this hour (7▲ 2▼ 3•)`: the rolling line. */
export function rollingText(r: RollingSentiment): string {
  const { bullish, bearish, neutral } = r.hourLabels;
  return `${signed(r.ema)} ${r.label} · ${r.hourItems} this hour (${bullish}▲ ${bearish}▼ ${neutral}•)`;
}

function labelOf(v: unknown): SentimentLabel | undefined {
  return typeof v === 'string' && LABELS.includes(v) ? (v as SentimentLabel) : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
