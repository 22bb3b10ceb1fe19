import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barSink, Database } from '../../src/storage/index.js';
import type { Bar } from '../../streams/index.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';

const reachable = await postgresReachable();

describe.runIf(reachable)('multi-row inserts', () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  beforeAll(async () => {
    db = await testDatabase('insertrows');
    database = new Database({ url: db.url, poolSize: 2 });
    await database.start();
  });
  afterAll(async () => {
    await database?.stop();
    await db?.drop();
  });

  it('a batch of SUPERNOVA_PERSIST_BATCH_MAX\'s largest size (10,000 bars, 110,000 parameters) is stored whole, and again stores nothing twice', async () => {
    const bars: Bar[] = Array.from({ length: 10_000 }, (_, i) => ({
      symbol: 'BIG', interval: '1m', start: i * 60_000, end: (i + 1) * 60_000, open: i, high: i + 1, low: i - 1, close: i, volume: 1, vwap: i, trades: 1, final: true,
    }));
    const sink = barSink(database);
    await sink.write(bars);
    await sink.write(bars);
    const [row] = await database.query('test.count', (sql) => sql<{ n: number; last: string }[]>`select count(*)::int as n, max(start_ms) as last from bars where symbol = 'BIG'`);
    expect(row).toEqual({ n: 10_000, last: String(9_999 * 60_000) });
  });
});
