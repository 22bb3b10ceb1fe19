import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { promqlMetricNames, repoFile } from '../support/deploy-files.js';

/** deploy/grafana/supernova.json as Grafana's provisioning loads it (its metrics are checked against an engine in test/deploy/metrics.test.ts). */
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { refId: string; expr: string; datasource: { uid: string } }[];
}
const text = readFileSync(repoFile('deploy/grafana/supernova.json'), 'utf8');
const dashboard = JSON.parse(text) as { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string }[] } };

describe('deploy/grafana/supernova.json', () => {
  it('is a dashboard with a stable uid', () => {
    expect(dashboard).toMatchObject({ uid: 'supernova', title: 'SuperNova' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
  });

  it('has panels with unique ids, on a grid 24 wide, none overlapping', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('queries Prometheus in every panel, for the engines the $instance variable selects', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['instance']);
    for (const p of dashboard.panels) {
      expect(p.datasource.type, p.title).toBe('prometheus');
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
      for (const t of p.targets) {
        expect(t.datasource.uid).toBe(p.datasource.uid);
        expect(promqlMetricNames(t.expr).length, t.expr).toBeGreaterThan(0);
        expect(t.expr, `${p.title}: ${t.expr}`).toContain('instance=~"$instance"');
      }
    }
  });
});
