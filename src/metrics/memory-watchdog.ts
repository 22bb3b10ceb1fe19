import type { Logger } from 'pino';
import { processMemory } from './process-memory.js';

export type MemoryState = 'normal' | 'pressure';

/** What a shedder is told each time it is asked to give memory back. */
export interface MemoryReading {
  rssBytes: number;
  highWaterBytes: number;
  lowWaterBytes: number;
  /** True on the check that entered pressure, false on the later ones of the same episode. */
  entering: boolean;
}

/** Gives memory back (drops history, shrinks caches); called while the engine is under pressure. */
export type Shedder = (reading: MemoryReading) => void;

export interface MemoryWatchdogOptions {
  highWaterBytes: number;
  lowWaterBytes: number;
  intervalMs: number;
  log: Logger;
  /** RSS in bytes, or undefined when it cannot be read (out of file descriptors). */
  readRss?: () => number | undefined;
}

export interface MemoryReport {
  state: MemoryState;
  rssBytes: number | null;
  highWaterBytes: number;
  lowWaterBytes: number;
  /** Times the engine entered pressure since start. */
  pressureEpisodes: number;
}

/**
 * Watches the process's RSS with hysteresis: at or above the high-water mark the engine is under
 * pressure, and it stays so until RSS is at or below the low-water mark, so one garbage
 * collection around a single mark cannot make it flap. While under pressure the registered
 * shedders are called at every check (not only at entry: what they free may be refilled), and
 * the gateway refuses new connections.
 */
export class MemoryWatchdog {
  private current: MemoryState = 'normal';
  private lastRss: number | undefined;
  private episodes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly shedders = new Set<Shedder>();
  private readonly recoveryListeners = new Set<() => void>();
  /** Shedders that threw in the current episode: logged once per episode, not at every check. */
  private readonly failedThisEpisode = new Set<Shedder>();
  private readonly readRss: () => number | undefined;

  constructor(private readonly opts: MemoryWatchdogOptions) {
    if (!(opts.lowWaterBytes < opts.highWaterBytes)) {
      throw new RangeError(`low-water mark (${opts.lowWaterBytes}) must be below the high-water mark (${opts.highWaterBytes})`);
    }
    this.readRss = opts.readRss ?? (() => processMemory().rssBytes);
  }

  get state(): MemoryState {
    return this.current;
  }

  get underPressure(): boolean {
    return this.current === 'pressure';
  }

  /** Registers a shedder; returns the function that removes it. */
  onPressure(shedder: Shedder): () => void {
    this.shedders.add(shedder);
    return () => void this.shedders.delete(shedder);
  }

  /** Called once each time the engine leaves pressure; returns the function that removes it. */
  onNormal(listener: () => void): () => void {
    this.recoveryListeners.add(listener);
    return () => void this.recoveryListeners.delete(listener);
  }

  /** Checks at once (so an engine started over its mark refuses from its first client), then periodically. */
  start(): void {
    if (this.timer) return;
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.intervalMs);
    // The watchdog guards a process that is running; it is no reason to keep one alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One reading and its transition; an unreadable RSS leaves the state as it was. */
  check(): MemoryState {
    const rss = this.readRss();
    this.lastRss = rss;
    if (rss === undefined) return this.current;
    const { highWaterBytes, lowWaterBytes, log } = this.opts;
    if (this.current === 'normal' && rss >= highWaterBytes) {
      this.current = 'pressure';
      this.episodes++;
      this.failedThisEpisode.clear();
      log.warn({ rssBytes: rss, highWaterBytes, lowWaterBytes }, 'memory pressure: giving memory back and refusing new connections');
      this.shed({ rssBytes: rss, highWaterBytes, lowWaterBytes, entering: true });
    } else if (this.current === 'pressure' && rss <= lowWaterBytes) {
      this.current = 'normal';
      log.info({ rssBytes: rss, lowWaterBytes }, 'memory back to normal');
      for (const listener of [...this.recoveryListeners]) this.guarded(listener, 'recovery listener');
    } else if (this.current === 'pressure') {
      this.shed({ rssBytes: rss, highWaterBytes, lowWaterBytes, entering: false });
    }
    return this.current;
  }

  report(): MemoryReport {
    return {
      state: this.current,
      rssBytes: this.lastRss ?? null,
      highWaterBytes: this.opts.highWaterBytes,
      lowWaterBytes: this.opts.lowWaterBytes,
      pressureEpisodes: this.episodes,
    };
  }

  private shed(reading: MemoryReading): void {
    for (const shedder of [...this.shedders]) {
      try {
        shedder(reading);
      } catch (err) {
        // One failing shedder must not stop the others, nor the watchdog's timer.
        if (!this.failedThisEpisode.has(shedder)) {
          this.failedThisEpisode.add(shedder);
          this.opts.log.error({ err }, 'memory shedder failed');
        }
      }
    }
  }

  private guarded(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err }, `memory ${what} failed`);
    }
  }
}
