import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';

interface KubernetesModel {
  validate(): void;
}
type ModelClass = (new (data: never) => KubernetesModel) & { apiVersion: string; kind: string; prototype: KubernetesModel };

/** The kinds deploy/kubernetes/ holds, by `apiVersion/kind`. */
export const MODELS: ReadonlyMap<string, ModelClass> = new Map(
  ([Deployment, Service, ConfigMap, HorizontalPodAutoscaler, PodDisruptionBudget, PersistentVolumeClaim] as unknown as ModelClass[])
    .map((m) => [`${m.apiVersion}/${m.kind}`, m]),
);

export interface KubernetesDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

/**
 * A document checked against its kind's schema (kubernetes-models, generated from Kubernetes'
 * OpenAPI), as the API server checks it with strict field validation: wrong types, missing
 * required fields, bad enums and formats (the model's validate()), and fields the schema does not
 * have. The schemas do not forbid unknown fields, so those are found by watching what the
 * validator reads: it reads every field its schema knows, on every object it visits, so a field
 * it never read is one it does not know (`livenesProbe` for `livenessProbe`).
 */
export function schemaProblems(doc: KubernetesDocument): string[] {
  const Model = MODELS.get(`${doc.apiVersion}/${doc.kind}`);
  if (!Model) return [`${doc.apiVersion}/${doc.kind}: not a kind these manifests may hold (${[...MODELS.keys()].join(', ')})`];
  try {
    new Model(doc as never).validate();
  } catch (err) {
    return [(err as Error).message];
  }
  const read = new WeakMap<object, Set<PropertyKey>>();
  const proxies = new WeakMap<object, object>();
  const watched = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const known = proxies.get(value);
    if (known) return known;
    const keys = new Set<PropertyKey>();
    read.set(value, keys);
    const proxy = new Proxy(value, {
      get: (target, key, receiver) => { keys.add(key); return watched(Reflect.get(target, key, receiver)); },
      has: (target, key) => { keys.add(key); return Reflect.has(target, key); },
      // Maps (labels, annotations, ConfigMap data) are walked key by key: all their keys are known.
      ownKeys: (target) => { for (const k of Reflect.ownKeys(target)) keys.add(k); return Reflect.ownKeys(target); },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  Model.prototype.validate.call(watched(doc));
  const unknown: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) return;
    const keys = read.get(value);
    for (const [k, child] of Object.entries(value)) {
      const at = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
      if (!Array.isArray(value) && !keys?.has(k)) unknown.push(`${doc.kind} ${doc.metadata.name}: unknown field ${at.slice(1)}`);
      else walk(child, at);
    }
  };
  walk(doc, '');
  return unknown;
}
