import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, openFileBudget, openFileSoftLimit } from '../../src/config/index.js';
import { memoryBudgetBytes } from '../../src/config/host-limits.js';

describe('connection and memory limits in the configuration', () => {
  const soft = openFileSoftLimit();

  it('defaults SUPERNOVA_MAX_CONNECTIONS to what this process\'s open-file limit leaves, and refuses more', () => {
    expect(soft).toBeDefined();
    const { maxConnections } = openFileBudget(soft as number);
    expect(loadConfig({}).maxConnections).toBe(maxConnections);
    expect(loadConfig({ SUPERNOVA_MAX_CONNECTIONS: String(maxConnections) }).maxConnections).toBe(maxConnections);
    expect(loadConfig({ SUPERNOVA_MAX_CONNECTIONS: '100' }).maxConnections).toBe(100);
    let err: unknown;
    try {
      loadConfig({ SUPERNOVA_MAX_CONNECTIONS: String(maxConnections + 1) });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`SUPERNOVA_MAX_CONNECTIONS="${maxConnections + 1}": at most ${maxConnections} under this process's open-file limit of ${soft}`);
    expect(() => loadConfig({ SUPERNOVA_MAX_CONNECTIONS: '0' })).toThrow(/SUPERNOVA_MAX_CONNECTIONS/);
  });

  it('defaults the high-water mark to 85 % of the memory budget and the low one to 80 % of the high', () => {
    const c = loadConfig({});
    expect(c.memoryHighWaterBytes).toBe(Math.floor(memoryBudgetBytes() * 0.85));
    expect(c.memoryLowWaterBytes).toBe(Math.floor(c.memoryHighWaterBytes * 0.8));
    expect(c.memoryCheckIntervalMs).toBe(1_000);
    expect(loadConfig({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: '1000' })).toMatchObject({ memoryHighWaterBytes: 1000, memoryLowWaterBytes: 800 });
    expect(loadConfig({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: '1000', SUPERNOVA_MEMORY_LOW_WATER_BYTES: '10' })).toMatchObject({ memoryHighWaterBytes: 1000, memoryLowWaterBytes: 10 });
  });

  it('refuses a low-water mark not below the high one, naming both variables', () => {
    expect(() => loadConfig({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: '1000', SUPERNOVA_MEMORY_LOW_WATER_BYTES: '1000' }))
      .toThrow(/SUPERNOVA_MEMORY_LOW_WATER_BYTES=1000: must be below SUPERNOVA_MEMORY_HIGH_WATER_BYTES \(1000\)/);
    expect(() => loadConfig({ SUPERNOVA_MEMORY_HIGH_WATER_BYTES: 'lots' })).toThrow(/SUPERNOVA_MEMORY_HIGH_WATER_BYTES/);
  });
});
