import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('storage settings', () => {
  it('tick storage is off by default and needs SUPERNOVA_DATABASE_URL, naming both', () => {
    expect(loadConfig({})).toMatchObject({ storeTicks: false, persistTicksBatchMax: 5_000, persistTicksMaxBuffered: 500_000, databaseCheckMs: 5_000 });
    expect(() => loadConfig({ SUPERNOVA_STORE_TICKS: 'true' })).toThrow(/SUPERNOVA_DATABASE_URL: required when SUPERNOVA_STORE_TICKS=true/);
    expect(loadConfig({ SUPERNOVA_STORE_TICKS: 'yes', SUPERNOVA_DATABASE_URL: 'postgres://u@h:5432/d' }).storeTicks).toBe(true);
  });

  it('refuses bad values with the variable named', () => {
    expect(() => loadConfig({ SUPERNOVA_STORE_TICKS: 'maybe' })).toThrow(/SUPERNOVA_STORE_TICKS/);
    expect(() => loadConfig({ SUPERNOVA_PERSIST_TICKS_BATCH_MAX: '0' })).toThrow(/SUPERNOVA_PERSIST_TICKS_BATCH_MAX/);
    expect(() => loadConfig({ SUPERNOVA_PERSIST_TICKS_BATCH_MAX: '100001' })).toThrow(/SUPERNOVA_PERSIST_TICKS_BATCH_MAX/);
    expect(() => loadConfig({ SUPERNOVA_PERSIST_TICKS_MAX_BUFFERED: '-5' })).toThrow(/SUPERNOVA_PERSIST_TICKS_MAX_BUFFERED/);
    expect(() => loadConfig({ SUPERNOVA_DATABASE_CHECK_MS: '10' })).toThrow(/SUPERNOVA_DATABASE_CHECK_MS/);
  });
});
