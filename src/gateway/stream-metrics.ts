import { Gauge, type Registry } from 'prom-client';
import type { StreamStats } from './stream-gateway.js';

/** Stream sessions by transport, and what the stream routes refused (read at scrape time). */
export function registerStreamMetrics(registry: Registry, stats: () => StreamStats): void {
  new Gauge({
    name: 'supernova_stream_sessions',
    help: 'HTTP-streaming, SSE and uni sessions open now, by transport',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      for (const [transport, n] of Object.entries(stats().sessions)) this.set({ transport }, n);
    },
  });
  new Gauge({
    name: 'supernova_stream_refused_total',
    help: 'Stream connects and emulation requests refused since start, by reason (limit, memory, shutdown, origin, bad_request, too_large, no_session, forward_limited)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, n] of Object.entries(stats().refused)) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'supernova_emulation_forwards_total',
    help: 'Emulation requests for sessions of other nodes sent to the node they name (direction="out"), and received from other nodes (direction="in")',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      for (const [direction, n] of Object.entries(stats().forwards)) this.set({ direction }, n);
    },
  });
  new Gauge({
    name: 'supernova_stream_write_passes_total',
    help: 'Passes writing the queued stream-session writes: after the callback that queued them (reason="deferred"), at once because the queue reached SUPERNOVA_STREAM_WRITE_QUEUE_MAX or _BYTES (reason="full"), at shutdown (reason="stopped")',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const [reason, n] of Object.entries(stats().writePasses)) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: 'supernova_emulation_requests_total',
    help: 'POST /emulation requests received since start',
    registers: [registry],
    collect() {
      this.set(stats().emulationRequests);
    },
  });
}
