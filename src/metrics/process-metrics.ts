import { Registry, collectDefaultMetrics } from 'prom-client';

let shared: Registry | undefined;

/**
 * prom-client's default metrics (CPU, memory, event loop, GC) describe the process, not an
 * engine, and collecting them starts a GC observer that is never released: a registry of them
 * per engine would keep every stopped engine alive through its other metrics. So they are
 * collected once per process, on a registry every engine renders alongside its own.
 */
export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
