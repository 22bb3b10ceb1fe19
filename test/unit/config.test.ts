import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConfigError, Engine, loadConfig } from '../../src/index.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8081);
    expect(c.symbols).toEqual(['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'SPY']);
    expect(c.maxFrameBytes).toBe(65536);
    expect(c.maxBackpressureBytes).toBe(1048576);
    expect(c.maxChannelsPerConnection).toBe(128);
    expect(c.pingIntervalMs).toBe(25_000);
    expect(c.pongTimeoutMs).toBe(8_000);
    expect(c.apiKey).toBeUndefined();
    expect(c.namespaces.find((n) => n.name === 'ticks')).toMatchObject({ historySize: 1000, historyTtlMs: 300_000, recoverable: true });
  });

  it('reads SUPERNOVA_* variables', () => {
    const c = loadConfig({ SUPERNOVA_PORT: '9000', SUPERNOVA_SYMBOLS: 'spy, qqq', SUPERNOVA_ALLOW_ANONYMOUS: 'false', SUPERNOVA_FEED: 'none' });
    expect(c).toMatchObject({ port: 9000, symbols: ['SPY', 'QQQ'], allowAnonymous: false, feed: 'none' });
  });

  it('names every bad variable in one error', () => {
    let err: unknown;
    try {
      loadConfig({ SUPERNOVA_PORT: '70000', SUPERNOVA_FEED: 'kafka', SUPERNOVA_SYMBOLS: 'bad symbol!' });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('SUPERNOVA_PORT');
    expect(msg).toContain('SUPERNOVA_FEED');
    expect(msg).toContain('SUPERNOVA_SYMBOLS');
  });

  it('the redis feed needs SUPERNOVA_REDIS_URL, and takes its stream settings', () => {
    expect(() => loadConfig({ SUPERNOVA_FEED: 'redis' })).toThrow(/SUPERNOVA_REDIS_URL: required when SUPERNOVA_FEED=redis/);
    expect(() => loadConfig({ SUPERNOVA_FEED: 'redis', SUPERNOVA_REDIS_URL: 'localhost:6379' })).toThrow(/SUPERNOVA_REDIS_URL=.*redis:\/\//);
    expect(() => loadConfig({ SUPERNOVA_FEED_BATCH_SIZE: '0' })).toThrow(/SUPERNOVA_FEED_BATCH_SIZE/);
    const c = loadConfig({ SUPERNOVA_FEED: 'redis', SUPERNOVA_REDIS_URL: 'redis://127.0.0.1:6379/2', SUPERNOVA_FEED_STREAM: 'md:ticks', SUPERNOVA_FEED_CONSUMER: 'node-a' });
    expect(c).toMatchObject({ feed: 'redis', redisUrl: 'redis://127.0.0.1:6379/2', feedStream: 'md:ticks', feedGroup: 'supernova', feedConsumer: 'node-a', feedBatchSize: 500, feedBlockMs: 1000, feedClaimIdleMs: 30_000 });
    expect(loadConfig({})).toMatchObject({ ingestMaxTicks: 10_000, ingestMaxPending: 100_000, feedConsumer: undefined });
  });

  it('a market mirror needs the Redis broker and no feed, naming the variables', () => {
    const redis = { SUPERNOVA_REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig({}).marketSource).toBe('pipeline');
    expect(loadConfig({ ...redis, SUPERNOVA_MARKET_SOURCE: 'mirror', SUPERNOVA_FEED: 'none' }).marketSource).toBe('mirror');
    expect(() => loadConfig({ SUPERNOVA_MARKET_SOURCE: 'copy' })).toThrow(/SUPERNOVA_MARKET_SOURCE="copy"/);
    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };
    expect(problems({ SUPERNOVA_MARKET_SOURCE: 'mirror', SUPERNOVA_FEED: 'none' })).toEqual([expect.stringMatching(/^SUPERNOVA_MARKET_SOURCE=mirror: needs the Redis broker.*set SUPERNOVA_REDIS_URL/)]);
    expect(problems({ ...redis, SUPERNOVA_BROKER: 'memory', SUPERNOVA_MARKET_SOURCE: 'mirror', SUPERNOVA_FEED: 'none' })).toEqual([expect.stringMatching(/^SUPERNOVA_MARKET_SOURCE=mirror: needs the Redis broker.*SUPERNOVA_BROKER/)]);
    // The feed's default is the simulated one: a mirror must say none.
    expect(problems({ ...redis, SUPERNOVA_MARKET_SOURCE: 'mirror' })).toEqual([expect.stringMatching(/^SUPERNOVA_MARKET_SOURCE=mirror: needs SUPERNOVA_FEED=none, got "simulated"/)]);
    expect(problems({ SUPERNOVA_MARKET_SOURCE: 'mirror', SUPERNOVA_FEED: 'replay' })).toHaveLength(2);
  });

  it('derives SUPERNOVA_MAX_SYMBOLS from the market memory budget and the ingest body limit from SUPERNOVA_INGEST_MAX_TICKS, unless set', () => {
    const defaults = loadConfig({});
    // 1 GiB over 4 KiB + 72 bytes x 1,440 bars x 2 intervals per symbol.
    expect(defaults).toMatchObject({ maxSymbols: 5_077, httpMaxBodyBytes: 1024 * 1024, ingestMaxBodyBytes: 10_000 * 128 });
    expect(loadConfig({ SUPERNOVA_BAR_HISTORY: '100000' }).maxSymbols).toBe(Math.floor(2 ** 30 / (4_096 + 72 * 100_000 * 2)));
    expect(loadConfig({ SUPERNOVA_BAR_INTERVALS: '1m' }).maxSymbols).toBe(Math.floor(2 ** 30 / (4_096 + 72 * 1_440)));
    expect(loadConfig({ SUPERNOVA_INGEST_MAX_TICKS: '40000' }).ingestMaxBodyBytes).toBe(40_000 * 128);
    expect(loadConfig({ SUPERNOVA_MAX_SYMBOLS: '42', SUPERNOVA_INGEST_MAX_BODY_BYTES: '5000', SUPERNOVA_HTTP_MAX_BODY_BYTES: '2048' })).toMatchObject({ maxSymbols: 42, ingestMaxBodyBytes: 5_000, httpMaxBodyBytes: 2_048 });
    expect(loadConfig({}, { maxSymbols: 7 }).maxSymbols).toBe(7);
    expect(() => loadConfig({ SUPERNOVA_HTTP_MAX_BODY_BYTES: '10' })).toThrow(/SUPERNOVA_HTTP_MAX_BODY_BYTES/);
    expect(() => loadConfig({ SUPERNOVA_INGEST_MAX_BODY_BYTES: 'lots' })).toThrow(/SUPERNOVA_INGEST_MAX_BODY_BYTES/);
    expect(() => loadConfig({ SUPERNOVA_MAX_SYMBOLS: '0' })).toThrow(/SUPERNOVA_MAX_SYMBOLS/);
  });

  it('namespaces from JSON replace defaults by name and are validated', () => {
    const c = loadConfig({ SUPERNOVA_NAMESPACES: '[{"name":"ticks","historySize":5},{"name":"chat","allowPublish":true}]' });
    expect(c.namespaces.find((n) => n.name === 'ticks')?.historySize).toBe(5);
    expect(c.namespaces.find((n) => n.name === 'chat')).toMatchObject({ allowPublish: true, historySize: 0 });
    expect(() => loadConfig({ SUPERNOVA_NAMESPACES: '{"name":1}' })).toThrow(/SUPERNOVA_NAMESPACES/);
    expect(() => loadConfig({ SUPERNOVA_NAMESPACES: '[{"name":"x","historySize":-1}]' })).toThrow(/historySize/);
  });

  it('reads the replay and bars settings, with `max` meaning as fast as possible', () => {
    const defaults = loadConfig({});
    expect(defaults).toMatchObject({ replaySymbol: 'SPY', replaySpeed: 1, replayLoop: false, barIntervals: ['1s', '1m'], barLatenessMs: 2_000, barHistory: 1_440 });
    expect(defaults.replayFile).toBe('../shared/data/market/spy-2013-10-07/ticks.csv.gz');
    const c = loadConfig({ SUPERNOVA_FEED: 'replay', SUPERNOVA_REPLAY_SPEED: 'max', SUPERNOVA_REPLAY_LOOP: 'true', SUPERNOVA_BAR_INTERVALS: '5s, 1m,1h' });
    expect(c).toMatchObject({ feed: 'replay', replaySpeed: 0, replayLoop: true, barIntervals: ['5s', '1m', '1h'] });
    expect(loadConfig({ SUPERNOVA_REPLAY_SPEED: '60' }).replaySpeed).toBe(60);
    expect(() => loadConfig({ SUPERNOVA_REPLAY_SPEED: 'fast' })).toThrow(/SUPERNOVA_REPLAY_SPEED/);
    expect(() => loadConfig({ SUPERNOVA_REPLAY_SPEED: '-1' })).toThrow(/SUPERNOVA_REPLAY_SPEED/);
    expect(() => loadConfig({ SUPERNOVA_BAR_INTERVALS: '1s,1d' })).toThrow(/SUPERNOVA_BAR_INTERVALS/);
    expect(() => loadConfig({ SUPERNOVA_BAR_INTERVALS: '1s,1s' })).toThrow(/SUPERNOVA_BAR_INTERVALS.*repeat/);
    expect(() => loadConfig({ SUPERNOVA_REPLAY_DATE: '7/10/2013' })).toThrow(/SUPERNOVA_REPLAY_DATE/);
  });

  it('stops an engine from starting with a missing replay file or an unusable interval, naming the variable', () => {
    const logger = pino({ level: 'silent' });
    const build = (env: Record<string, string>) => () => new Engine({ config: loadConfig({ SUPERNOVA_PORT: '0', ...env }), logger });
    expect(build({ SUPERNOVA_FEED: 'replay', SUPERNOVA_REPLAY_FILE: 'no/such/ticks-2013-10-07.csv.gz' })).toThrow(ConfigError);
    expect(build({ SUPERNOVA_FEED: 'replay', SUPERNOVA_REPLAY_FILE: 'no/such/ticks-2013-10-07.csv.gz' })).toThrow(/SUPERNOVA_REPLAY_FILE: .*no\/such\/ticks-2013-10-07\.csv\.gz" does not exist/);
    expect(build({ SUPERNOVA_BAR_INTERVALS: '50ms' })).toThrow(/SUPERNOVA_BAR_INTERVALS: .*50ms/);
  });
  it('reads the spill settings: off unless SUPERNOVA_SPILL_DIR is set, a 1 GiB budget, every bad value named', () => {
    expect(loadConfig({})).toMatchObject({ spillDir: undefined, spillMaxBytes: 1024 ** 3, spillSegmentBytes: 64 * 1024 ** 2, spillAfterRows: 0 });
    expect(loadConfig({ SUPERNOVA_SPILL_DIR: 'var/spill', SUPERNOVA_SPILL_MAX_BYTES: '1048576', SUPERNOVA_SPILL_AFTER_ROWS: '100' }))
      .toMatchObject({ spillDir: 'var/spill', spillMaxBytes: 1_048_576, spillAfterRows: 100 });
    expect(() => loadConfig({ SUPERNOVA_SPILL_MAX_BYTES: '1k' })).toThrow(/SUPERNOVA_SPILL_MAX_BYTES/);
    expect(() => loadConfig({ SUPERNOVA_SPILL_MAX_BYTES: '100' })).toThrow(/SUPERNOVA_SPILL_MAX_BYTES/);
    expect(() => loadConfig({ SUPERNOVA_SPILL_SEGMENT_BYTES: '0' })).toThrow(/SUPERNOVA_SPILL_SEGMENT_BYTES/);
    expect(() => loadConfig({ SUPERNOVA_SPILL_AFTER_ROWS: '-1' })).toThrow(/SUPERNOVA_SPILL_AFTER_ROWS/);
    // Rows kept in memory must leave room under the memory bound, or none would ever spill.
    expect(() => loadConfig({ SUPERNOVA_SPILL_DIR: 'var/spill', SUPERNOVA_SPILL_AFTER_ROWS: '500', SUPERNOVA_PERSIST_MAX_BUFFERED: '500' }))
      .toThrow(/SUPERNOVA_SPILL_AFTER_ROWS=500: must be below SUPERNOVA_PERSIST_MAX_BUFFERED \(500\)/);
  });
});
