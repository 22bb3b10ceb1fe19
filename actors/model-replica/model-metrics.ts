import { Gauge, type Registry } from 'prom-client';
import { sourcedCounter } from '../../src/metrics/index.js';
import { BucketHistogram, type HistogramSeriesCounts } from '../../src/metrics/bucket-histogram.js';
import { histogramQuantile } from '../../src/metrics/histogram-quantile.js';
import type { ModelStats } from './stats.js';

const SECONDS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const TEXTS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Quantiles in ms of a fixed-bucket series (interpolated inside a bucket, as Prometheus does). */
export interface LatencyFigures {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

function figures(s: HistogramSeriesCounts, bounds: readonly number[], scale: number): LatencyFigures {
  let cumulative = 0;
  const buckets = bounds.map((le, i) => ({ le, count: (cumulative += s.counts[i] as number) }));
  buckets.push({ le: Number.POSITIVE_INFINITY, count: cumulative + (s.counts[bounds.length] as number) });
  const q = (p: number) => {
    const v = histogramQuantile(p, buckets);
    return v === undefined ? null : Math.round(v * scale * 100) / 100;
  };
  return { count: s.count, meanMs: s.count === 0 ? null : Math.round((s.sum / s.count) * scale * 100) / 100, p50Ms: q(0.5), p99Ms: q(0.99) };
}

/**
 * The histograms of the replicas, in `registry` from construction (observed on every request,
 * so kept as fixed buckets, BucketHistogram): supernova_ml_request_duration_seconds (score()
 * call to its results, cache hits included), supernova_ml_inference_duration_seconds (one
 * batch in the worker) and supernova_ml_batch_size.
 */
export class ModelHistograms {
  private readonly request: HistogramSeriesCounts;
  private readonly inference: HistogramSeriesCounts;
  private readonly batch: HistogramSeriesCounts;

  constructor(registry: Registry) {
    this.request = new BucketHistogram('supernova_ml_request_duration_seconds', 'Sentiment scoring: from a score() call to its results (cache hits included)', [], SECONDS, registry).for({});
    this.inference = new BucketHistogram('supernova_ml_inference_duration_seconds', 'Sentiment scoring: one batch in a replica\'s worker thread', [], SECONDS, registry).for({});
    this.batch = new BucketHistogram('supernova_ml_batch_size', 'Sentiment scoring: texts per batch sent to a replica', [], TEXTS, registry).for({});
  }

  observeRequest(ms: number): void {
    this.request.observe(ms / 1000);
  }

  observeBatch(texts: number, inferenceMs: number): void {
    this.batch.observe(texts);
    this.inference.observe(inferenceMs / 1000);
  }

  requestFigures(): LatencyFigures {
    return figures(this.request, SECONDS, 1000);
  }

  inferenceFigures(): LatencyFigures {
    return figures(this.inference, SECONDS, 1000);
  }
}

/**
 * supernova_ml_* counters and gauges, read from the replicas' figures at scrape time. The
 * histograms are ModelHistograms, registered when the replicas were made.
 */
export function registerModelMetrics(registry: Registry, stats: () => ModelStats): void {
  const counter = (name: string, help: string, read: () => Record<string, number>, label = '') => sourcedCounter(`supernova_ml_${name}`, help, registry, read, label || undefined);
  counter('texts_total', 'Texts scored (cache hits included)', () => ({ '': stats().texts }));
  counter('batches_total', 'Batches scored by the replicas', () => ({ '': stats().batches }));
  counter('cache_hits_total', 'Inference cache hits, by tier', () => {
    const c = stats().cache;
    return { l1: c.l1.hits, ...(c.l2 ? { l2: c.l2.hits } : {}) };
  }, 'tier');
  counter('cache_misses_total', 'Inference cache misses, by tier', () => {
    const c = stats().cache;
    return { l1: c.l1.misses, ...(c.l2 ? { l2: c.l2.misses } : {}) };
  }, 'tier');
  counter('cache_l2_skipped_total', 'Inference cache operations not sent to Redis because it was down or failing', () => ({ '': stats().cache.l2?.guard.skipped ?? 0 }));
  counter('replica_restarts_total', 'Replica worker threads replaced, by reason (exit: it exited or threw; timeout: it did not answer within SUPERNOVA_ML_TIMEOUT_MS; start: it did not load; error: a defect)', () => ({ ...stats().restarts }), 'reason');
  counter('refused_total', 'Texts refused or failed, by reason (overloaded: SUPERNOVA_ML_MAX_QUEUED; timeout: not scored within SUPERNOVA_ML_TIMEOUT_MS; replica_failed: the worker failed twice)', () => ({ ...stats().refused }), 'reason');
  counter('retries_total', 'Texts sent again to a replica after a worker failed with them', () => ({ '': stats().retries }));
  const gauge = (name: string, help: string, read: () => Record<string, number>, label?: string) => new Gauge({
    name: `supernova_ml_${name}`, help, labelNames: label ? [label] : [], registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(read())) {
        if (label) this.set({ [label]: k }, v);
        else this.set(v);
      }
    },
  });
  gauge('queue_depth', 'Texts waiting for a replica', () => ({ '': stats().queueDepth }));
  gauge('in_flight', 'Texts sent to replicas and not yet answered', () => ({ '': stats().inFlight }));
  gauge('backend', '1 for the TensorFlow.js backend the replicas loaded, by name', (): Record<string, number> => {
    const b = stats().backend;
    return b ? { [b]: 1 } : {};
  }, 'name');
  gauge('tensors', 'Tensors held by each replica\'s worker (tf.memory().numTensors after its last request)', () => Object.fromEntries(stats().tensors.map((n, i) => [String(i), n])), 'replica');
  gauge('models_loaded', 'Model versions loaded in every replica', () => ({ '': stats().versions.length }));
  gauge('replicas_ready', 'Replicas whose worker is loaded and answering', () => ({ '': stats().ready }));
}
