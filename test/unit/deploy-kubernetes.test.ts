import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import type { IContainer, IEnvVar } from 'kubernetes-models/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { configEntries, loadConfig } from '../../src/config/index.js';
import { readYaml, repoFile, shutdownBoundMs } from '../support/deploy-files.js';
import { schemaProblems, type KubernetesDocument } from '../support/kubernetes-schema.js';

/** deploy/kubernetes/, as `kubectl apply -k` would send it, checked against Kubernetes' schemas. */
const DIR = 'deploy/kubernetes';
const [kustomization] = readYaml(`${DIR}/kustomization.yaml`) as [{ resources: string[] }];
const docs = kustomization.resources.flatMap((f) => readYaml(`${DIR}/${f}`)) as KubernetesDocument[];
const one = <T>(kind: string): T => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
};
const named = <T>(kind: string, name: string): T => {
  const found = docs.find((d) => d.kind === kind && d.metadata.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found as T;
};
/** The replicas that serve clients, and the one pod that runs the market pipeline they mirror. */
const deployment = named<IDeployment>('Deployment', 'supernova');
const market = named<IDeployment>('Deployment', 'supernova-market');
const configMap = one<IConfigMap>('ConfigMap');
const pod = deployment.spec?.template;
const container = pod?.spec?.containers[0] as IContainer;
const marketPod = market.spec?.template;
const marketContainer = marketPod?.spec?.containers[0] as IContainer;
const known = new Set<string>(Object.values(configEntries).map((e) => e.env));
const env = container.env ?? [];
/** What a container's process sees: the ConfigMap, then its own plain values over it, as the kubelet does. */
const podEnv = (c: IContainer): Record<string, string> => ({
  ...(configMap.data ?? {}),
  ...Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string])),
  ...SECRETS,
});
/** What the Secret gives the pods, as placeholders. */
const SECRETS = { SUPERNOVA_API_KEY: 'k', SUPERNOVA_REDIS_URL: 'redis://redis:6379', SUPERNOVA_DATABASE_URL: 'postgres://supernova@postgres:5432/supernova' };

describe('deploy/kubernetes', () => {
  it('applies every manifest of the folder, and no Secret', () => {
    const files = readdirSync(repoFile(DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(docs.map((d) => d.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'Service']);
    expect(files.flatMap((f) => readYaml(`${DIR}/${f}`) as KubernetesDocument[]).filter((d) => d.kind === 'Secret')).toEqual([]);
  });

  it.each(docs.map((d) => [`${d.kind} ${d.metadata.name}`, d] as const))('%s matches its Kubernetes schema', (_name, doc) => {
    expect(schemaProblems(doc)).toEqual([]);
  });

  it('the schema check refuses a wrong type, a missing field and an unknown field', () => {
    type Editable = { spec: { replicas: unknown; template: { spec: { containers?: Record<string, unknown>[] } & Record<string, unknown> } } };
    const broken = (change: (d: Editable) => void) => {
      const d = structuredClone(deployment) as unknown as Editable;
      change(d);
      return schemaProblems(d as unknown as KubernetesDocument);
    };
    expect(broken((d) => { d.spec.replicas = 'three'; })).toEqual([expect.stringContaining('replicas must be integer')]);
    expect(broken((d) => { delete d.spec.template.spec.containers; })).toEqual([expect.stringContaining('containers')]);
    expect(broken((d) => {
      const c = d.spec.template.spec.containers?.[0] ?? {};
      c['livenesProbe'] = c['livenessProbe'];
      delete c['livenessProbe'];
    })).toEqual(['Deployment supernova: unknown field spec.template.spec.containers[0].livenesProbe']);
    expect(broken((d) => { d.spec.template.spec['terminationGracePeriod'] = 45; }))
      .toEqual(['Deployment supernova: unknown field spec.template.spec.terminationGracePeriod']);
  });

  it('runs 3 replicas with resources, as a non-root user', () => {
    expect(deployment.spec?.replicas).toBe(3);
    expect(container.resources?.requests).toMatchObject({ cpu: expect.anything() as unknown, memory: expect.anything() as unknown });
    expect(container.resources?.limits).toMatchObject({ memory: expect.anything() as unknown });
    expect(pod?.spec?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.spec?.securityContext?.runAsUser).not.toBe(0);
  });

  it.each([['supernova', pod, container], ['supernova-market', marketPod, marketContainer]] as const)('%s: probes liveness and readiness on their own paths, on the port the engine listens on', (_name, pod, container) => {
    const port = container.ports?.find((p) => p.name === container.livenessProbe?.httpGet?.port);
    expect(container.livenessProbe?.httpGet?.path).toBe('/performance/health/live');
    expect(container.readinessProbe?.httpGet?.path).toBe('/performance/health/ready');
    expect(container.readinessProbe?.httpGet?.port).toBe(container.livenessProbe?.httpGet?.port);
    expect(port?.containerPort).toBe(Number(podEnv(container)['SUPERNOVA_PORT']));
    const annotations = pod?.metadata?.annotations ?? {};
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
    expect(Number(annotations['prometheus.io/port'])).toBe(port?.containerPort);
  });

  it('gives the drain less time than the kubelet gives the pod', () => {
    const command = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(command.slice(0, 1)).toEqual(['sleep']);
    const preStopMs = Number(command[1]) * 1000;
    expect(preStopMs).toBeGreaterThan(0);
    const config = loadConfig(podEnv(container));
    expect((pod?.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(preStopMs + shutdownBoundMs(config));
    // The market pod has no preStop: no Service sends it clients.
    expect(marketContainer.lifecycle?.preStop).toBeUndefined();
    expect((marketPod?.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(shutdownBoundMs(loadConfig(podEnv(marketContainer))));
  });

  it('names only settings the engine has, takes secrets from a Secret, and the ConfigMap is a valid configuration', () => {
    const names = [...env.map((e) => e.name), ...(marketContainer.env ?? []).map((e) => e.name), ...Object.keys(configMap.data ?? {})];
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    const fromSecret = (e: IEnvVar) => e.valueFrom?.secretKeyRef !== undefined && e.value === undefined;
    for (const c of [container, marketContainer]) {
      expect(c.envFrom).toEqual([{ configMapRef: { name: configMap.metadata?.name } }]);
      for (const name of ['SUPERNOVA_API_KEY', 'SUPERNOVA_TOKEN_HMAC_SECRET', 'SUPERNOVA_REDIS_URL']) {
        const e = c.env?.find((v) => v.name === name);
        expect(e && fromSecret(e), `${name} comes from a secretKeyRef`).toBe(true);
      }
      expect((c.env ?? []).filter((e) => e.value !== undefined && /KEY|SECRET|PASSWORD|TOKEN|REDIS_URL/.test(e.name))).toEqual([]);
    }
    expect(Object.keys(configMap.data ?? {}).filter((n) => /KEY|SECRET|PASSWORD|TOKEN|REDIS_URL/.test(n))).toEqual([]);
    expect(() => loadConfig(podEnv(container))).not.toThrow();
  });

  it('the replicas mirror the market of one pod that runs the pipeline with a feed, one at a time', () => {
    expect(loadConfig(podEnv(container))).toMatchObject({ marketSource: 'mirror', feed: 'none', broker: 'redis' });
    const config = loadConfig(podEnv(marketContainer));
    expect(config).toMatchObject({ marketSource: 'pipeline', broker: 'redis' });
    expect(config.feed).not.toBe('none');
    expect(market.spec?.replicas).toBe(1);
    expect(market.spec?.strategy).toEqual({ type: 'Recreate' });
    expect(marketContainer.image).toBe(container.image);
    // Not behind the client Service, nor counted by the replicas' PDB, HPA or Deployment.
    const labels = marketPod?.metadata?.labels ?? {};
    expect(labels).toMatchObject(market.spec?.selector?.matchLabels ?? { missing: 'selector' });
    const matches = (selector: Record<string, string> | undefined) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(one<IService>('Service').spec?.selector)).toBe(false);
    expect(matches(one<IPodDisruptionBudget>('PodDisruptionBudget').spec?.selector?.matchLabels)).toBe(false);
    expect(matches(deployment.spec?.selector.matchLabels)).toBe(false);
    expect(one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler').spec?.scaleTargetRef.name).toBe(deployment.metadata?.name);
  });

  it('the market pod spills to a claim of its own, mounted where SUPERNOVA_SPILL_DIR points', () => {
    const dir = loadConfig(podEnv(marketContainer)).spillDir;
    const mount = marketContainer.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount, 'a volume mounted at the spill directory').toBeDefined();
    const claim = marketPod?.spec?.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
    expect(docs.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === claim)).toBe(true);
    // Both pods keep and read bars in the same database, named by the Secret.
    for (const c of [marketContainer, container]) expect(c.env?.find((e) => e.name === 'SUPERNOVA_DATABASE_URL')?.valueFrom?.secretKeyRef?.key).toBe('database-url');
  });

  it('puts the Service, the autoscaler and the disruption budget on the Deployment\'s pods', () => {
    const labels = pod?.metadata?.labels ?? {};
    const service = one<IService>('Service');
    expect(labels).toMatchObject(service.spec?.selector ?? { missing: 'selector' });
    expect(service.spec?.ports?.map((p) => p.targetPort)).toEqual(container.ports?.map((p) => p.name));
    const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
    expect(labels).toMatchObject(pdb.spec?.selector?.matchLabels ?? { missing: 'selector' });
    expect(pdb.spec?.maxUnavailable).toBe(1);
    const hpa = one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec?.scaleTargetRef).toEqual({ apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata?.name });
    expect(hpa.spec?.minReplicas).toBe(deployment.spec?.replicas);
    const metrics = hpa.spec?.metrics ?? [];
    expect(metrics.find((m) => m.type === 'Resource')?.resource?.name).toBe('cpu');
    expect(metrics.find((m) => m.type === 'Pods')?.pods).toMatchObject({ metric: { name: 'supernova_connections' }, target: { type: 'AverageValue' } });
  });
});
