import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { configEntries, loadConfig } from '../../src/config/index.js';
import { readYaml, repoFile, shutdownBoundMs } from '../support/deploy-files.js';

/**
 * deploy/docker-compose.yml as compose reads it (YAML with merge keys and ${} interpolation),
 * and the files it mounts. There is no Docker here to run it.
 */
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  stop_grace_period?: string;
  command?: string[];
}
const [compose] = readYaml('deploy/docker-compose.yml') as [{ services: Record<string, Service>; volumes?: Record<string, unknown> }];
const services = compose.services;
const nodes = Object.entries(services).filter(([, s]) => s.build !== undefined);
const env = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
const known = new Set<string>(Object.values(configEntries).map((e) => e.env));

/** Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message} and the like. */
const VARIABLE = /\$\{(\w+)(?:(:?[-?+])([^}]*))?\}/g;
/** A value with every variable set to a placeholder, as compose would run it. */
const interpolated = (value: string) => value.replace(VARIABLE, (_m, name: string, op?: string, arg?: string) => (op?.endsWith('-') ? arg ?? '' : `set-${name.toLowerCase()}`));

/** Where a service's bind mount puts a file of deploy/, by the path inside the container. */
function mounts(s: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of s.volumes ?? []) {
    const [host, target] = v.split(':');
    if (host?.startsWith('.') && target) out.set(target, join('deploy', host));
  }
  return out;
}

describe('deploy/docker-compose.yml', () => {
  it('runs Redis, PostgreSQL, two SuperNova nodes, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'postgres', 'prometheus', 'redis', 'supernova-a', 'supernova-b']);
    expect(nodes.map(([name]) => name)).toEqual(['supernova-a', 'supernova-b']);
  });

  it('builds the nodes from deploy/Dockerfile', () => {
    for (const [, node] of nodes) {
      const context = join('deploy', node.build?.context ?? '');
      expect(existsSync(repoFile(join(context, node.build?.dockerfile ?? '')))).toBe(true);
      expect(existsSync(repoFile(join(context, 'package.json')))).toBe(true);
    }
  });

  it('puts both nodes on one Redis, each on its own port, with settings the engine accepts', () => {
    const urls = nodes.map(([, n]) => env(n)['SUPERNOVA_REDIS_URL']);
    expect(new Set(urls).size).toBe(1);
    expect(new URL(urls[0] ?? '').hostname).toBe('redis');
    expect(nodes.map(([, n]) => n.depends_on)).toEqual(nodes.map(() => expect.objectContaining({ redis: expect.anything() as unknown })));
    const hostPorts = nodes.map(([, n]) => n.ports?.[0]?.split(':')[0]);
    expect(new Set(hostPorts).size).toBe(nodes.length);
    for (const [name, node] of nodes) {
      const vars = env(node);
      expect(Object.keys(vars).filter((k) => !known.has(k)), `${name}: every variable is a SUPERNOVA_* setting`).toEqual([]);
      // The image's port (SUPERNOVA_PORT's default) is what each node publishes.
      const config = loadConfig(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, interpolated(v)])));
      expect(node.ports?.[0]?.split(':')[1]).toBe(String(config.port));
    }
    // docker stop waits this long after SIGTERM before SIGKILL.
    for (const [name, node] of nodes) {
      const config = loadConfig(Object.fromEntries(Object.entries(env(node)).map(([k, v]) => [k, interpolated(v)])));
      const grace = /^(\d+)s$/.exec(node.stop_grace_period ?? '10s')?.[1];
      expect(Number(grace) * 1000, `${name}: stop_grace_period outlasts the drain`).toBeGreaterThan(shutdownBoundMs(config));
    }
    // One market feed for the shared channels, in the node that runs the pipeline; the others mirror its market.
    const configs = nodes.map(([, n]) => loadConfig(Object.fromEntries(Object.entries(env(n)).map(([k, v]) => [k, interpolated(v)]))));
    expect(configs.filter((c) => c.feed !== 'none').map((c) => c.marketSource)).toEqual(['pipeline']);
    expect(configs.filter((c) => c.feed === 'none').map((c) => c.marketSource)).toEqual(['mirror']);
  });

  it('has no default secret: each one must be set, or is empty', () => {
    const secrets = Object.entries(services).flatMap(([name, s]) => Object.entries(env(s))
      .filter(([k]) => /KEY|SECRET|PASSWORD|TOKEN/i.test(k)).map(([k, v]) => [`${name} ${k}`, v] as const));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const [where, value] of secrets) {
      const vars = [...value.matchAll(VARIABLE)];
      expect(vars, `${where} is one variable`).toHaveLength(1);
      expect(vars[0]?.[0], where).toBe(value);
      const [, , op, arg] = vars[0] ?? [];
      expect(op === ':?' || (op === ':-' && arg === ''), `${where}: ${value} has no default`).toBe(true);
    }
    expect(readFileSync(repoFile('.gitignore'), 'utf8').split('\n')).toContain('deploy/.env');
  });

  it('mounts files that exist', () => {
    const binds = Object.values(services).flatMap((s) => [...mounts(s).values()]);
    expect(binds.length).toBeGreaterThanOrEqual(4);
    for (const file of binds) expect(existsSync(repoFile(file)), file).toBe(true);
    const named = Object.values(services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0] ?? '')).filter((v) => !v.startsWith('.'));
    for (const v of named) expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });

  it('has Prometheus scrape both nodes and load the alert rules it mounts', () => {
    const prometheus = services['prometheus'] as Service;
    const files = mounts(prometheus);
    const configPath = prometheus.command?.find((c) => c.startsWith('--config.file='))?.split('=')[1] ?? '';
    const [config] = readYaml(files.get(configPath) ?? '') as [{ rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] }];
    const targets = config.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(nodes.map(([name, n]) => `${name}:${n.ports?.[0]?.split(':')[1]}`).sort());
    // Rule files are found relative to the configuration file, inside the container.
    const rules = config.rule_files.map((r) => files.get(posix.join(posix.dirname(configPath), r)));
    expect(rules).toEqual(['deploy/prometheus/alerts.yml']);
  });

  it('provisions Grafana with the Prometheus datasource and the dashboard', () => {
    const grafana = services['grafana'] as Service;
    const files = mounts(grafana);
    const provisioning = files.get('/etc/grafana/provisioning') ?? '';
    const [datasources] = readYaml(join(provisioning, 'datasources/prometheus.yml')) as [{ datasources: { uid: string; type: string; url: string }[] }];
    const [providers] = readYaml(join(provisioning, 'dashboards/supernova.yml')) as [{ providers: { options: { path: string } }[] }];
    const [source] = datasources.datasources;
    expect(source?.type).toBe('prometheus');
    expect(new URL(source?.url ?? '').hostname).toBe('prometheus');
    const dashboardTarget = [...files.keys()].find((t) => t.endsWith('.json')) ?? '';
    expect(dirname(dashboardTarget)).toBe(providers.providers[0]?.options.path);
    expect(files.get(dashboardTarget)).toBe('deploy/grafana/supernova.json');
    const dashboard = JSON.parse(readFileSync(repoFile('deploy/grafana/supernova.json'), 'utf8')) as { panels: { datasource: { uid: string } }[] };
    expect(new Set(dashboard.panels.map((p) => p.datasource.uid))).toEqual(new Set([source?.uid]));
  });
});
