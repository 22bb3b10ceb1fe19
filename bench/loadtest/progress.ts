import { Presets, SingleBar } from 'cli-progress';
import type { TimelinePoint } from './recorder.js';

/** What a run reports while it goes: a phase starts, then ticks once a second. */
export interface Progress {
  phase(name: string): void;
  update(done: number, point: TimelinePoint): void;
  stop(): void;
}

export const silentProgress: Progress = { phase: () => {}, update: () => {}, stop: () => {} };

/** A cli-progress bar on stderr (stdout stays for the summary); on a non-TTY it prints every 5 s. */
export class BarProgress implements Progress {
  private bar: SingleBar | undefined;
  private errors = 0;

  phase(name: string): void {
    this.stop();
    this.bar = new SingleBar({
      stream: process.stderr,
      format: `${name.padEnd(12)} [{bar}] {percentage}% | eta {eta_formatted} | users {users} | {rps} req/s | {mps} msgs/s | p99 {p99} ms | errors {errors}`,
      barsize: 24,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
    }, Presets.shades_classic);
    this.bar.start(1000, 0, { users: 0, rps: 0, mps: 0, p99: '-', errors: 0 });
  }

  update(done: number, p: TimelinePoint): void {
    this.errors += p.errors;
    this.bar?.update(Math.round(done * 1000), {
      users: p.connectedUsers,
      rps: Math.round(p.requestsPerS),
      mps: Math.round(p.messagesPerS),
      p99: p.responseP99Ms.toFixed(1),
      errors: this.errors,
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.errors = 0;
  }
}
