import { Gauge, type Registry } from 'prom-client';
import type { HealthRegistry } from './health-registry.js';
import { isDraining, type LifecycleState } from './lifecycle.js';

/** `supernova_component_up{component}` and `supernova_draining`, read at scrape time. */
export function registerHealthMetrics(registry: Registry, s: { lifecycle(): LifecycleState; components: HealthRegistry }): void {
  new Gauge({
    name: 'supernova_component_up', help: '1 while a component the engine depends on (redis, database) is up, 0 while it is down', labelNames: ['component'], registers: [registry],
    collect() {
      // A component that unregistered leaves no stale series behind.
      this.reset();
      for (const [component, health] of Object.entries(s.components.check().components)) this.set({ component }, health.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'supernova_draining', help: '1 from SIGTERM (or drain()) until the process exits: not ready, then disconnecting its clients', registers: [registry],
    collect() { this.set(isDraining(s.lifecycle()) ? 1 : 0); },
  });
}
