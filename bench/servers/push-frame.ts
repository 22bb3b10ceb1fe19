import type { BenchPayload } from './publisher-loop.js';

/** The same shape as SuperNova's JSON push of a publication without history: what the peers send. */
export function pushFrame(channel: string, data: BenchPayload): string {
  return JSON.stringify({ push: { channel, pub: { data } } });
}
