import { describe, expect, it } from 'vitest';
import { startEngine } from '../support/engine.js';
import { postgresReachable, testDatabase } from '../support/postgres.js';
import { SseClient } from '../support/sse.js';
import { until } from '../support/client.js';

const reachable = await postgresReachable();

interface Report { generatedAt: string; sections: Record<string, Record<string, unknown>> }

async function report(http: string): Promise<Report> {
  const res = await fetch(`${http}/performance/report`);
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
}

describe('/performance/report', () => {
  it('holds health, resources, API latency and database in one document, each as its own endpoint says', async () => {
    const t = await startEngine();
    try {
      // A request for the API section to have measured.
      expect((await fetch(`${t.http}/performance/metrics/resources`)).status).toBe(200);
      const { sections, generatedAt } = await report(t.http);
      expect(Object.keys(sections)).toEqual(expect.arrayContaining(['health', 'resources', 'api', 'database']));
      expect(Date.now() - Date.parse(generatedAt)).toBeLessThan(10_000);
      const health = (await (await fetch(`${t.http}/performance/health`)).json()) as Record<string, unknown>;
      expect(sections.health?.status).toBe(health.status);
      expect(sections.health?.version).toBe(health.version);
      expect(Object.keys(sections.resources ?? {})).toEqual(Object.keys((await (await fetch(`${t.http}/performance/metrics/resources`)).json()) as object));
      expect(JSON.stringify(sections.api)).toContain('/performance/metrics/resources');
      expect(sections.database).toEqual({ configured: false });
    } finally {
      await t.stop();
    }
  });

  it.runIf(reachable)('shows the database when one is configured, and so does the metrics snapshot', async () => {
    const db = await testDatabase('report');
    const t = await startEngine({ databaseUrl: db.url, metricsIntervalMs: 100 });
    const sse = new SseClient(`${t.http}/performance/metrics/stream`);
    try {
      const { sections } = await report(t.http);
      expect(sections.database).toMatchObject({ configured: true, up: true, schemaVersion: expect.any(Number) });
      await until(() => sse.metrics().length > 0, 'a metrics snapshot');
      expect((sse.metrics()[0]?.extra as Record<string, unknown>).database).toEqual({ up: true, persistBuffered: 0 });
    } finally {
      sse.close();
      await t.stop();
      await db.drop();
    }
  });
});
