import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type TestEngine } from '../support/engine.js';
import { EngineProcess } from '../support/engine-process.js';
import { removeDir, scaledModelCopy } from '../../actors/model-replica/test-support.js';

const KEY = 'models-reload-key';
const auth = { authorization: `apikey ${KEY}` };
const texts = ['AAPL jumps 5% after earnings beat', 'Fed minutes: no change expected', 'TSLA recalls 2 million cars'];

interface Analyzed { results: { label: string; scores: Record<string, number> }[] }

async function analyze(t: TestEngine): Promise<Analyzed> {
  const res = await fetch(`${t.http}/api/v1/sentiment/analyze`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ texts }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Analyzed;
}

async function reload(http: string, headers: Record<string, string> = auth): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${http}/api/v1/models/sentiment/reload`, { method: 'POST', headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /api/v1/models/sentiment/reload (real replicas, a model directory the test rewrites)', () => {
  let dir: string;
  let t: TestEngine;

  beforeAll(async () => {
    dir = scaledModelCopy(1);
    t = await startEngine({ sentiment: true, apiKey: KEY, mlModelDir: dir, mlReplicas: 2 });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    removeDir(dir);
  });

  it('needs the API key', async () => {
    expect((await reload(t.http, {})).status).toBe(401);
  });

  it('answers changed: false while the files are the same version', async () => {
    const before = (await analyze(t)).results;
    const { status, body } = await reload(t.http);
    expect(status).toBe(200);
    expect(body).toMatchObject({ changed: false });
    expect(body.version).toBe(body.previous);
    expect((await analyze(t)).results).toEqual(before);
  });

  it('swaps in a new version written into the directory while requests go on, none failing', async () => {
    const before = (await analyze(t)).results;
    scaledModelCopy(3, dir);
    let failures = 0;
    let answered = 0;
    let going = true;
    const load = (async () => {
      while (going) {
        const res = await fetch(`${t.http}/api/v1/sentiment/analyze`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ texts: [`steady ${answered}`] }) });
        if (res.status === 200) answered++;
        else failures++;
      }
    })();
    const { status, body } = await reload(t.http);
    going = false;
    await load;
    expect(status).toBe(200);
    expect(body.changed).toBe(true);
    expect(body.version).not.toBe(body.previous);
    expect(failures).toBe(0);
    expect(answered).toBeGreaterThan(0);
    const after = (await analyze(t)).results;
    // Output kernels three times larger: sharper probabilities, the same texts scored anew.
    expect(after).not.toEqual(before);
    const report = (await (await fetch(`${t.http}/performance/report`)).json()) as { sections: { models: { version: string } } };
    expect(report.sections.models.version).toBe(body.version);
  }, 60_000);

  it('refuses files that do not load with 422, the current version scoring on', async () => {
    const before = (await analyze(t)).results;
    const version = ((await (await fetch(`${t.http}/performance/report`)).json()) as { sections: { models: { version: string } } }).sections.models.version;
    rmSync(join(dir, 'weights.bin'));
    const { status, body } = await reload(t.http);
    expect(status).toBe(422);
    expect(body).toMatchObject({ error: { code: 'MODEL_INVALID' } });
    expect(JSON.stringify(body)).toContain(version);
    expect((await analyze(t)).results).toEqual(before);
    scaledModelCopy(3, dir);
  }, 30_000);
});

describe('model reload without sentiment, and by SIGHUP', () => {
  it('answers 503 SENTIMENT_DISABLED when the pipeline is off', async () => {
    const t = await startEngine({ apiKey: KEY });
    try {
      const { status, body } = await reload(t.http);
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: { code: 'SENTIMENT_DISABLED' } });
    } finally {
      await t.stop();
    }
  });

  it('SIGHUP reloads the model directory of a running `npm start`', async () => {
    const dir = scaledModelCopy(1);
    const p = await EngineProcess.start({ SUPERNOVA_SENTIMENT: 'true', SUPERNOVA_ML_MODEL_DIR: dir, SUPERNOVA_ML_REPLICAS: '1', SUPERNOVA_API_KEY: KEY }, 60_000);
    try {
      const version = async () => ((await (await fetch(`${p.http}/performance/report`)).json()) as { sections: { models: { version: string } } }).sections.models.version;
      const first = await version();
      scaledModelCopy(2, dir);
      p.child.kill('SIGHUP');
      const deadline = Date.now() + 20_000;
      while ((await version()) === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await version()).not.toBe(first);
      expect(p.alive).toBe(true);
    } finally {
      await p.stop();
      removeDir(dir);
    }
  }, 90_000);
});
