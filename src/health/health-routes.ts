import type { Router } from '../http/index.js';
import type { HealthRegistry } from './health-registry.js';
import { healthStatus, isReady, type LifecycleState } from './lifecycle.js';

export interface HealthRouteSources {
  lifecycle(): LifecycleState;
  components: HealthRegistry;
  uptimeSeconds(): number;
  /** The engine's figures that /performance/health reports beside its status (connections, memory, ...). */
  figures(): Record<string, unknown>;
}

/**
 * `/performance/health` (status, figures and components), `/performance/health/live` (liveness)
 * and `/performance/health/ready` (readiness). All three answer synchronously from memory and are
 * never rate limited (src/http/rate-limit.ts).
 */
export function registerHealthRoutes(router: Router, s: HealthRouteSources): void {
  router.get('/performance/health', () => ({ status: isReady(s.lifecycle()) ? 200 : 503, body: healthReport(s) }));
  // Answering at all is the proof: the process is there and its event loop turns. Draining too:
  // a liveness failure would restart the process and cut its clients before the drain ends.
  router.get('/performance/health/live', () => ({
    body: { status: 'alive', state: s.lifecycle(), uptime: s.uptimeSeconds() },
  }));
  router.get('/performance/health/ready', () => {
    const state = s.lifecycle();
    const { down } = s.components.check();
    const status = healthStatus(state, down);
    if (isReady(state)) return { body: { ready: true, status, down } };
    return {
      status: 503,
      body: { ready: false, status, down, error: { code: 'NOT_READY', message: notReadyMessage(state) } },
    };
  });
}

/** The body of `/performance/health`, and the health section of `/performance/report`. */
export function healthReport(s: HealthRouteSources): Record<string, unknown> {
  const { components, down } = s.components.check();
  return { status: healthStatus(s.lifecycle(), down), uptime: s.uptimeSeconds(), ...s.figures(), components, down };
}

function notReadyMessage(state: LifecycleState): string {
  switch (state) {
    case 'new': return 'the engine is starting';
    case 'draining': return 'the engine is draining: it serves its clients until the drain delay (SUPERNOVA_DRAIN_DELAY_MS) ends, then disconnects them with 3001';
    default: return `the engine is ${state}`;
  }
}
