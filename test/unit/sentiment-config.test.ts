import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/index.js';

describe('sentiment configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      sentiment: true, sentimentBatchMax: 32, sentimentBatchMs: 5, sentimentMaxBuffered: 5_000, sentimentMaxInFlight: 2, sentimentEmaAlpha: 0.1,
      sentimentHoursKept: 48, sentimentRecentIds: 10_000, sentimentMaxSymbols: 10_000, simNewsPerMinute: 12, newsStream: undefined, ingestMaxNews: 1_000, mlMaxBatch: 64, mlMaxTextChars: 2_000,
    });
  });

  it('names each bad value', () => {
    const bad = (env: Record<string, string>, name: RegExp) => expect(() => loadConfig(env)).toThrow(name);
    bad({ SUPERNOVA_SENTIMENT: 'maybe' }, /SUPERNOVA_SENTIMENT=/);
    bad({ SUPERNOVA_SENTIMENT_EMA_ALPHA: '0' }, /SUPERNOVA_SENTIMENT_EMA_ALPHA/);
    bad({ SUPERNOVA_SENTIMENT_MAX_BUFFERED: '0' }, /SUPERNOVA_SENTIMENT_MAX_BUFFERED/);
    bad({ SUPERNOVA_ML_MAX_TEXT_CHARS: '5000' }, /SUPERNOVA_ML_MAX_TEXT_CHARS/);
    bad({ SUPERNOVA_ML_MAX_BATCH: '-1' }, /SUPERNOVA_ML_MAX_BATCH/);
    bad({ SUPERNOVA_SIM_NEWS_PER_MINUTE: 'lots' }, /SUPERNOVA_SIM_NEWS_PER_MINUTE/);
  });

  it('needs Redis for a news stream, and a stream other than the tick feed\'s', () => {
    expect(() => loadConfig({ SUPERNOVA_NEWS_STREAM: 'news' })).toThrow(/SUPERNOVA_REDIS_URL: required when SUPERNOVA_NEWS_STREAM is set/);
    expect(() => loadConfig({ SUPERNOVA_REDIS_URL: 'redis://127.0.0.1:6379', SUPERNOVA_FEED: 'redis', SUPERNOVA_FEED_STREAM: 'same', SUPERNOVA_NEWS_STREAM: 'same' })).toThrow(/SUPERNOVA_NEWS_STREAM="same": must differ from SUPERNOVA_FEED_STREAM/);
    expect(loadConfig({ SUPERNOVA_REDIS_URL: 'redis://127.0.0.1:6379', SUPERNOVA_NEWS_STREAM: 'supernova:news' }).newsStream).toBe('supernova:news');
  });
});
