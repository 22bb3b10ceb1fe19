/**
 * Where an engine is in its life. `draining` is SIGTERM's drain delay: the engine serves as
 * before, but readiness says no, so load balancers stop sending it clients before they are told
 * 3001 (`stopping`).
 */
export type LifecycleState = 'new' | 'running' | 'draining' | 'stopping' | 'stopped';

/** What /performance/health says: `ok` or `degraded` while running (HTTP 200), else the state (503). */
export type HealthStatus = 'ok' | 'degraded' | 'starting' | 'draining' | 'stopping' | 'stopped';

export function healthStatus(state: LifecycleState, down: readonly string[]): HealthStatus {
  if (state === 'running') return down.length > 0 ? 'degraded' : 'ok';
  return state === 'new' ? 'starting' : state;
}

/**
 * Ready for new clients: running, whatever its components say. A Redis that is down is down for
 * every node at once, and all of them unready would leave the Service with no endpoint while
 * each could still serve its local publications.
 */
export function isReady(state: LifecycleState): boolean {
  return state === 'running';
}

/** From SIGTERM (or drain()) until the process is gone. */
export function isDraining(state: LifecycleState): boolean {
  return state === 'draining' || state === 'stopping';
}
