/**
 * Reads a `sentiment:SYM` publication. The feed is not built yet, so this accepts the shapes it
 * is likely to take: a scored item `{text|headline, label, score}`, a rolling value
 * (`rolling`, `ema`, `sentiment`, either a number or `{score}`), or both in one message.
 */

export interface ScoredHeadline {
  text: string;
  label: string;
  score: number | undefined;
  ts: number | undefined;
}

export interface SentimentUpdate {
  headline: ScoredHeadline | undefined;
  rolling: number | undefined;
}

export function readSentiment(data: unknown): SentimentUpdate {
  if (typeof data !== 'object' || data === null) return { headline: undefined, rolling: undefined };
  const d = data as Record<string, unknown>;
  const text = firstString(d['text'], d['headline'], d['title']);
  const score = finite(d['score']);
  const label = firstString(d['label']) ?? (score === undefined ? undefined : labelOf(score));
  const headline = text === undefined ? undefined : { text, label: label ?? 'unscored', score, ts: finite(d['ts']) };
  return { headline, rolling: rollingOf(d) };
}

/** A label for a score in [-1, 1] when the feed sends none. */
export function labelOf(score: number): string {
  if (score > 0.15) return 'positive';
  if (score < -0.15) return 'negative';
  return 'neutral';
}

function rollingOf(d: Record<string, unknown>): number | undefined {
  for (const key of ['rolling', 'ema', 'sentiment']) {
    const v = d[key];
    const n = finite(v) ?? (typeof v === 'object' && v !== null ? finite((v as Record<string, unknown>)['score']) ?? finite((v as Record<string, unknown>)['ema']) : undefined);
    if (n !== undefined) return n;
  }
  return undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim() !== '') return v;
  return undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
