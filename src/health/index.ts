export { HealthComponentError, HealthRegistry, type ComponentHealth, type HealthCheck, type HealthProbe, type HealthRegistryOptions } from './health-registry.js';
export { healthStatus, isDraining, isReady, type HealthStatus, type LifecycleState } from './lifecycle.js';
export { healthReport, registerHealthRoutes, type HealthRouteSources } from './health-routes.js';
export { registerHealthMetrics } from './health-metrics.js';
