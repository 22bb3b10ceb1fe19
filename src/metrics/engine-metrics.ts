import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  connections(): number;
  actorStats(): { mailboxDepth: number; resets: number; crashes: number; stopsByPolicy: number };
  delivered(): number;
}

/**
 * The engine's Prometheus metrics, on a registry of its own so that several engines in one
 * process (tests) do not collide. Gauges read their sources at scrape time: nothing is updated
 * per message on the data plane.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly commands: Counter<'method' | 'result'>;
  readonly commandLatency: Histogram<'method'>;
  readonly publications: Counter<'namespace'>;
  readonly disconnects: Counter<'code'>;
  readonly httpRequests: Counter<'route' | 'status'>;

  constructor(sources: MetricsSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'supernova_connections', help: 'Open client connections', registers, collect() { this.set(sources.connections()); } });
    this.commands = new Counter({ name: 'supernova_commands_total', help: 'Client commands by method and result', labelNames: ['method', 'result'], registers });
    this.commandLatency = new Histogram({
      name: 'supernova_command_duration_seconds',
      help: 'Time from a frame reaching its connection actor to the reply of each command',
      labelNames: ['method'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.publications = new Counter({ name: 'supernova_publications_total', help: 'Publications by namespace', labelNames: ['namespace'], registers });
    new Counter({
      name: 'supernova_messages_delivered_total',
      help: 'Publications and join/leave pushes delivered to subscribers (sum over subscribers)',
      registers,
      collect() {
        const now = sources.delivered();
        const prev = (this as unknown as { last?: number }).last ?? 0;
        if (now > prev) this.inc(now - prev);
        (this as unknown as { last?: number }).last = now;
      },
    });
    this.disconnects = new Counter({ name: 'supernova_disconnects_total', help: 'Server-initiated disconnects by code', labelNames: ['code'], registers });
    new Gauge({ name: 'supernova_actor_mailbox_depth', help: 'Messages queued in connection actor mailboxes', registers, collect() { this.set(sources.actorStats().mailboxDepth); } });
    new Gauge({
      name: 'supernova_actor_restarts_total',
      help: 'Actor handler crashes that the supervisor resumed or reset, and actors it stopped',
      labelNames: ['decision'],
      registers,
      collect() {
        const s = sources.actorStats();
        this.set({ decision: 'crash' }, s.crashes);
        this.set({ decision: 'reset' }, s.resets);
        this.set({ decision: 'stop' }, s.stopsByPolicy);
      },
    });
    this.httpRequests = new Counter({ name: 'supernova_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers });
  }

  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
