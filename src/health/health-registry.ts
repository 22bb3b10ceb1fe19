/** One component as its probe sees it now. */
export interface ComponentHealth {
  up: boolean;
  /** Why it is down, or what it is up on (`127.0.0.1:6379`): shown in /performance/health. */
  detail?: string;
}

/**
 * Answers synchronously from what the component already knows (a connection's state, the last
 * failure it saw): a health request never waits on I/O, so a slow Redis cannot make a probe time
 * out and the kubelet restart a process that is still serving.
 */
export type HealthProbe = () => ComponentHealth;

export interface HealthCheck {
  components: Record<string, ComponentHealth>;
  /** The names of the components that are down, sorted. */
  down: string[];
}

/** A component name that cannot be registered; stable codes. */
export class HealthComponentError extends Error {
  constructor(readonly code: 'COMPONENT_NAME_INVALID' | 'COMPONENT_REGISTERED', message: string) {
    super(message);
    this.name = 'HealthComponentError';
  }
}

/** Names are Prometheus label values and JSON keys that operators type into alert rules: keep them plain. */
const COMPONENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export interface HealthRegistryOptions {
  /** Where a probe that throws is reported (InternalErrors); the component then counts as down. */
  onError?: (where: string, err: unknown) => void;
}

/**
 * The parts of the engine that depend on something outside the process (Redis, the database)
 * register a probe here under a name; /performance/health and `supernova_component_up` read them.
 * A component that is down makes the engine `degraded`, not unready: it still serves what it can.
 */
export class HealthRegistry {
  private readonly probes = new Map<string, HealthProbe>();

  constructor(private readonly o: HealthRegistryOptions = {}) {}

  /** Registers `probe` as `name`; the returned function unregisters it (for a part that stops). */
  register(name: string, probe: HealthProbe): () => void {
    if (!COMPONENT_NAME.test(name)) {
      throw new HealthComponentError('COMPONENT_NAME_INVALID', `health component name ${JSON.stringify(name)}: use 1-63 of a-z 0-9 _ -, starting with a letter`);
    }
    if (this.probes.has(name)) throw new HealthComponentError('COMPONENT_REGISTERED', `health component ${name} is already registered; unregister it first`);
    this.probes.set(name, probe);
    return () => {
      if (this.probes.get(name) === probe) this.probes.delete(name);
    };
  }

  /** Every component's probe, run now. */
  check(): HealthCheck {
    const components: Record<string, ComponentHealth> = {};
    const down: string[] = [];
    for (const [name, probe] of [...this.probes].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const health = this.probe(name, probe);
      components[name] = health;
      if (!health.up) down.push(name);
    }
    return { components, down };
  }

  private probe(name: string, probe: HealthProbe): ComponentHealth {
    try {
      const { up, detail } = probe();
      return detail === undefined ? { up: up === true } : { up: up === true, detail };
    } catch (err) {
      this.o.onError?.(`health:${name}`, err);
      return { up: false, detail: `probe failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
