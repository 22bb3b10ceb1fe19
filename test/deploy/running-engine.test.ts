import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';
import { exposedMetricNames, promqlMetricNames, readYaml, repoFile } from '../support/deploy-files.js';
import { startEngine, type TestEngine } from '../support/engine.js';
import { eventually, prometheusInstalled, PrometheusServer } from '../support/prometheus.js';

/**
 * deploy/ against a running engine: the probes and the image's HEALTHCHECK answer; the dashboard,
 * the alert rules and the autoscaler name only series the engine exports; and a real Prometheus
 * scrapes it and evaluates the rules and the dashboard's queries.
 */
interface Panel { title: string; targets: { expr: string }[] }
const dashboard = JSON.parse(readFileSync(repoFile('deploy/grafana/supernova.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { query: { query: string } }[] };
};
const [rules] = readYaml('deploy/prometheus/alerts.yml') as [{ groups: { rules: { alert: string; expr: string }[] }[] }];
const [hpa] = readYaml('deploy/kubernetes/hpa.yaml') as [{ spec: { metrics: { type: string; pods?: { metric: { name: string } } }[] } }];

const alertExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const variableExprs = dashboard.templating.list.map((v) => v.query.query.replace(/^label_values\((.*),\s*\w+\)$/, '$1'));
const names = (exprs: string[]) => new Set(exprs.flatMap(promqlMetricNames));
/** The series deploy/ may use that the engine's /metrics does not list: Prometheus writes `up` for each target it scrapes. */
const NOT_FROM_THE_ENGINE = new Set(['up']);

let t: TestEngine;
let exposed: Set<string>;
beforeAll(async () => {
  // Sentiment on: the dashboard and the alerts read the model replicas' and the pipeline's series.
  t = await startEngine({ sentiment: true });
  // A request of each kind, so the HTTP histogram has series for Prometheus to store.
  await fetch(`${t.http}/performance/health`);
  exposed = exposedMetricNames(await (await fetch(`${t.http}/metrics`)).text());
});
afterAll(async () => {
  await t?.stop();
});

describe('probes', () => {
  it('answers the Deployment\'s liveness and readiness probes', async () => {
    const [deployment] = readYaml('deploy/kubernetes/deployment.yaml') as [{ spec: { template: { spec: { containers: Record<string, { httpGet: { path: string } }>[] } } } }];
    const [container] = deployment.spec.template.spec.containers;
    for (const probe of ['livenessProbe', 'readinessProbe']) {
      const path = container?.[probe]?.httpGet.path ?? '';
      expect((await fetch(`${t.http}${path}`)).status, `${probe} ${path}`).toBe(200);
    }
  });

  it('passes the image\'s HEALTHCHECK command, which fails where no engine listens', async () => {
    const [health] = DockerfileParser.parse(readFileSync(repoFile('deploy/Dockerfile'), 'utf8')).getHEALTHCHECKs();
    const [cmd, ...args] = JSON.parse((health?.getArgumentsContent() ?? '').replace(/^CMD\s+/, '')) as string[];
    expect(cmd).toBe('node');
    // Not spawnSync: the engine answering the command runs on this process's event loop.
    const run = (port: number) => new Promise<number | null>((resolve) => {
      spawn(process.execPath, args, { env: { ...process.env, SUPERNOVA_PORT: String(port) }, stdio: 'ignore', timeout: 10_000 }).once('exit', resolve);
    });
    expect(await run(t.port)).toBe(0);
    expect(await run(1)).toBe(1);
  });
});

describe('metrics named in deploy/', () => {
  it('finds the signals in the dashboard and the alert rules', () => {
    expect([...names(panelExprs)]).toEqual(expect.arrayContaining([
      'supernova_connections', 'supernova_publications_total', 'supernova_messages_delivered_total',
      'supernova_http_request_duration_seconds_bucket', 'supernova_http_requests_total', 'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds', 'supernova_disconnects_total', 'supernova_history_bytes', 'supernova_component_up',
    ]));
    expect([...names(alertExprs)]).toEqual(expect.arrayContaining([
      'supernova_http_request_duration_seconds_bucket', 'supernova_http_requests_total', 'process_resident_memory_bytes',
      'supernova_disconnects_total', 'nodejs_eventloop_lag_p99_seconds', 'supernova_component_up',
    ]));
  });

  it('are all exported by a running engine', () => {
    expect(exposed.size).toBeGreaterThan(50);
    const used = new Set([...names(panelExprs), ...names(alertExprs), ...names(variableExprs)]);
    for (const m of hpa.spec.metrics) if (m.pods) used.add(m.pods.metric.name);
    expect([...used].filter((n) => !exposed.has(n) && !NOT_FROM_THE_ENGINE.has(n))).toEqual([]);
  });
});

/**
 * The in-cluster job of deploy/prometheus/kubernetes.yml, its relabelling as written, on pods
 * that a file describes with the labels Kubernetes discovery gives them (Debian's Prometheus is
 * built without Kubernetes discovery, and there is no cluster here).
 */
function inClusterJob(file: string): Record<string, unknown> {
  const [config] = readYaml('deploy/prometheus/kubernetes.yml') as [{ scrape_configs: Record<string, unknown>[] }];
  const { kubernetes_sd_configs: discovery, ...job } = config.scrape_configs[0] ?? {};
  expect(discovery).toEqual([{ role: 'pod' }]);
  return { ...job, job_name: 'supernova-in-cluster', file_sd_configs: [{ files: [file] }] };
}

/** A pod of the Deployment (annotated with the engine's real port), and two the job must leave out. */
function pods(port: number): unknown[] {
  const [deployment] = readYaml('deploy/kubernetes/deployment.yaml') as [{ spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } } }];
  const { labels, annotations } = deployment.spec.template.metadata;
  const meta = (name: string, l: Record<string, string>, a: Record<string, string>) => ({
    // The pod's address with its first container port, as discovery gives it; the annotation says which port to scrape.
    targets: ['127.0.0.1:1'],
    labels: {
      __meta_kubernetes_namespace: 'default',
      __meta_kubernetes_pod_name: name,
      ...Object.fromEntries(Object.entries(l).map(([k, v]) => [`__meta_kubernetes_pod_label_${k.replace(/\W/g, '_')}`, v])),
      ...Object.fromEntries(Object.entries(a).map(([k, v]) => [`__meta_kubernetes_pod_annotation_${k.replace(/\W/g, '_')}`, v])),
    },
  });
  return [
    meta('supernova-0', labels, { ...annotations, 'prometheus.io/port': String(port) }),
    meta('other-0', { app: 'other' }, { ...annotations, 'prometheus.io/port': String(port) }),
    meta('supernova-unscraped', labels, { ...annotations, 'prometheus.io/scrape': 'false', 'prometheus.io/port': String(port) }),
  ];
}

describe.skipIf(!prometheusInstalled())('a real Prometheus scraping the engine', () => {
  let prometheus: PrometheusServer;
  beforeAll(async () => {
    prometheus = await PrometheusServer.start({
      targets: [`127.0.0.1:${t.port}`],
      ruleFiles: [repoFile('deploy/prometheus/alerts.yml')],
      scrapeConfigs: [inClusterJob('pods.json')],
      files: { 'pods.json': JSON.stringify(pods(t.port)) },
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('answers a query for a supernova_ metric', async () => {
    const query = 'supernova_connections{job="supernova"}';
    await eventually(async () => (await prometheus.query(query)).length > 0, 'a scrape of the engine', 15_000);
    const samples = await prometheus.query(query);
    expect(samples).toHaveLength(1);
    const [sample] = samples;
    expect(sample?.metric).toMatchObject({ __name__: 'supernova_connections', job: 'supernova', instance: `127.0.0.1:${t.port}` });
    expect(Number(sample?.value[1])).toBe(0);
    const [up] = await prometheus.query('up{job="supernova"}');
    expect(up?.value[1]).toBe('1');
  });

  it('scrapes the annotated pods of the Deployment through the in-cluster job, as pod and namespace', async () => {
    await eventually(async () => (await prometheus.query('supernova_connections{job="supernova-in-cluster"}')).length > 0, 'a scrape by the in-cluster job', 15_000);
    const samples = await prometheus.query('supernova_connections{job="supernova-in-cluster"}');
    expect(samples.map((s) => s.metric)).toEqual([expect.objectContaining({ instance: `127.0.0.1:${t.port}`, pod: 'supernova-0', namespace: 'default' })]);
    const targets = await prometheus.get<{ activeTargets: { labels: { job: string } }[] }>('/api/v1/targets');
    expect(targets.activeTargets.filter((a) => a.labels.job === 'supernova-in-cluster')).toHaveLength(1);
  });

  it('evaluates every alert rule without error, none firing on a healthy engine', async () => {
    type Rule = { name: string; health: string; lastError?: string; state: string };
    const rulesNow = async () => (await prometheus.get<{ groups: { rules: Rule[] }[] }>('/api/v1/rules')).groups.flatMap((g) => g.rules);
    await eventually(async () => (await rulesNow()).every((r) => r.health !== 'unknown'), 'the rules to be evaluated', 15_000);
    const evaluated = await rulesNow();
    expect(evaluated.map((r) => r.name).sort()).toEqual(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort());
    expect(evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(evaluated.filter((r) => r.state !== 'inactive').map((r) => r.name)).toEqual([]);
  });

  it('runs every query of the dashboard', async () => {
    // Grafana's variables as Grafana fills them: all engines, and a rate window of a few scrapes.
    const asGrafana = (expr: string) => expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '15s');
    for (const expr of [...panelExprs, ...variableExprs]) {
      await expect(prometheus.query(asGrafana(expr)), expr).resolves.toBeInstanceOf(Array);
    }
    expect((await prometheus.query(asGrafana(panelExprs[0] ?? ''))).length).toBeGreaterThan(0);
  });
});
