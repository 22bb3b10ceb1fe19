import type { MetricsReading, MetricsSource, NamespaceUsage, PipelineCounters } from '../../streams/index.js';
import { parseChannelName } from '../broker/index.js';
import type { ExtraFigures } from './extra-figures.js';
import type { IntervalLatency } from './interval-latency.js';
import type { ProcessSampler } from './process-sampler.js';
import { processMemory } from './process-memory.js';

/** What the engine hands the metrics source: live readings of its parts, never the parts. */
export interface EngineReadings {
  startedAt: number;
  connections(): number;
  /** Publications fanned out and messages delivered since start (the fan-out's totals). */
  publicationsTotal(): number;
  deliveriesTotal(): number;
  /** Channels with local subscribers, with their subscriber counts. */
  channels(): Iterable<[string, number]>;
  pipelines(): Record<string, PipelineCounters>;
}

/**
 * The engine side of the metrics pipeline's MetricsSource port. read() closes the interval of the
 * per-interval figures (command latency, event-loop lag, CPU), so only the pipeline calls it.
 */
export class EngineMetricsSource implements MetricsSource {
  constructor(
    private readonly engine: EngineReadings,
    private readonly parts: { sampler: ProcessSampler; commandLatency: IntervalLatency; extra: ExtraFigures },
  ) {}

  read(): MetricsReading {
    const { engine, parts } = this;
    const memory = processMemory();
    return {
      uptimeSec: (Date.now() - engine.startedAt) / 1000,
      connections: engine.connections(),
      publicationsTotal: engine.publicationsTotal(),
      deliveriesTotal: engine.deliveriesTotal(),
      commands: parts.commandLatency.take(),
      eventLoopLagMs: parts.sampler.roll().eventLoopLagMs,
      memory: { rssBytes: memory.rssBytes, heapUsedBytes: memory.heapUsedBytes, heapTotalBytes: memory.heapTotalBytes },
      namespaces: namespaceUsage(engine.channels()),
      pipelines: engine.pipelines(),
      extra: parts.extra.read(),
    };
  }
}

function namespaceUsage(channels: Iterable<[string, number]>): Record<string, NamespaceUsage> {
  const out: Record<string, NamespaceUsage> = {};
  for (const [channel, subscribers] of channels) {
    const namespace = parseChannelName(channel).namespace;
    const usage = (out[namespace] ??= { channels: 0, subscribers: 0 });
    usage.channels++;
    usage.subscribers += subscribers;
  }
  return out;
}
