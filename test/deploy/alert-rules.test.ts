import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readYaml, repoFile } from '../support/deploy-files.js';
import { prometheusInstalled, PROMTOOL } from '../support/prometheus.js';

/** deploy/prometheus/: the alert rules, their unit tests and the compose Prometheus' configuration, through promtool. */
const RULES = 'deploy/prometheus/alerts.yml';
const TESTS = 'deploy/prometheus/alerts.test.yml';

interface RuleTest {
  name: string;
  input_series: { series: string }[];
  alert_rule_test: { alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[];
}
const [rules] = readYaml(RULES) as [{ groups: { rules: { alert: string; expr: string }[] }[] }];
const [ruleTests] = readYaml(TESTS) as [{ rule_files: string[]; tests: RuleTest[] }];
const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));

function promtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: repoFile('.'), encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe.skipIf(!prometheusInstalled())('Prometheus alert rules (promtool)', () => {
  it('pass promtool check rules', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.out).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('pass their unit tests, promtool test rules', () => {
    const r = promtool('test', 'rules', TESTS);
    expect(r.out).toContain('SUCCESS');
    expect(r.status, r.out).toBe(0);
  });

  it('each alert has a case where it fires and one where it stays quiet', () => {
    expect(ruleTests.rule_files).toEqual(['alerts.yml']);
    for (const alert of alerts) {
      const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.alertname === alert).map((a) => ({ t, a })));
      expect(cases.some(({ a }) => a.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      // Quiet: an evaluation that expects nothing, or an engine of the input that the firing case leaves out.
      const quiet = cases.some(({ t, a }) => {
        if (a.exp_alerts.length === 0) return true;
        const firing = new Set(a.exp_alerts.map((e) => e.exp_labels['instance']));
        return t.input_series.some((s) => !firing.has(/instance="([^"]+)"/.exec(s.series)?.[1]));
      });
      expect(quiet, `${alert} stays quiet in a test`).toBe(true);
    }
  });

  it('fail when an expectation is wrong, so their passing means something', () => {
    const dir = mkdtempSync(join(tmpdir(), 'supernova-rules-'));
    try {
      const wrong = parse(readFileSync(repoFile(TESTS), 'utf8')) as { tests: RuleTest[] };
      for (const t of wrong.tests) for (const a of t.alert_rule_test) for (const e of a.exp_alerts) e.exp_labels['instance'] = 'nobody';
      writeFileSync(join(dir, 'alerts.yml'), readFileSync(repoFile(RULES)));
      writeFileSync(join(dir, 'alerts.test.yml'), stringify(wrong));
      const r = promtool('test', 'rules', join(dir, 'alerts.test.yml'));
      expect(r.status).not.toBe(0);
      expect([...new Set(r.out.match(/alertname: (\w+)/g)?.map((m) => m.slice(11)))].sort()).toEqual([...alerts].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('and the Prometheus configuration of docker-compose.yml passes promtool check config', () => {
    const r = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(r.out).toContain('SUCCESS');
    expect(r.status, r.out).toBe(0);
  });
});
