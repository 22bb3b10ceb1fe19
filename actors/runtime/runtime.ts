import { randomUUID } from 'node:crypto';
import { RuntimeCore, type ParentNode } from './core.js';
import { RuntimeNotRunningError } from './errors.js';
import { startSystem, stopNact } from './nact.js';
import { ShardedSupervisor, type ShardedSupervisorOptions } from './sharded-supervisor.js';
import type { RuntimeLogger, RuntimeStats } from './types.js';

export interface ActorRuntimeOptions {
  name?: string;
  /** Receives crash reports. Default: none (crashes are still counted in stats()). */
  logger?: RuntimeLogger;
  /** Shard size for root and for supervisors created without their own. Default 500. */
  maxChildrenPerShard?: number;
  /** Clock for the default crash policy window; injectable so tests need not sleep. Default performance.now. */
  now?: () => number;
}

type Phase = 'new' | 'running' | 'stopped';

/** A nact system plus a sharded root. Single-use: start() once, stop() once. */
export class ActorRuntime {
  readonly name: string;
  private readonly core: RuntimeCore;
  private readonly maxChildrenPerShard: number | undefined;
  private phase: Phase = 'new';
  private system: ParentNode | undefined;
  private rootSupervisor: ShardedSupervisor | undefined;
  private stopping: Promise<void> | undefined;

  constructor(opts: ActorRuntimeOptions = {}) {
    this.name = opts.name ?? 'supernova';
    this.maxChildrenPerShard = opts.maxChildrenPerShard;
    this.core = new RuntimeCore(opts.logger, opts.now ?? (() => performance.now()));
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  start(): void {
    if (this.phase === 'running') return;
    if (this.phase === 'stopped') throw new RuntimeNotRunningError(this.name, 'was stopped and cannot be restarted');
    // nact keeps systems in a process-wide map keyed by name and silently replaces
    // one with the same name, so the name must be unique per process, not per runtime.
    const nactRef = startSystem(`${this.name}-${randomUUID()}`);
    this.system = { nactRef, childStopped: () => undefined };
    this.rootSupervisor = new ShardedSupervisor(this.core, this.system, 'root', this.shardOptions(undefined));
    this.phase = 'running';
  }

  get root(): ShardedSupervisor {
    if (!this.rootSupervisor) throw new RuntimeNotRunningError(this.name, 'has not been started');
    return this.rootSupervisor;
  }

  /** A new ShardedSupervisor under root; `name` is a prefix, each call creates another one. */
  supervisor(name: string, opts?: ShardedSupervisorOptions): ShardedSupervisor {
    return this.root.supervisor(name, this.shardOptions(opts?.maxChildrenPerShard));
  }

  stats(): RuntimeStats {
    const c = this.core.counters;
    return {
      actors: c.actors,
      mailboxDepth: c.mailboxDepth,
      crashes: c.crashes,
      resets: c.resets,
      stopsByPolicy: c.stopsByPolicy,
      mailboxRejections: c.mailboxRejections,
      shards: c.shards,
      pendingAsks: this.core.asks.size,
    };
  }

  /** Stops every actor (depth first, onStop hooks included), rejects pending asks, stops nact. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopped';
    // nact's system.stop has the same Actor-vs-reference bug as Actor.stop, so
    // top-level actors would survive it: stop the tree ourselves first.
    this.rootSupervisor?.stopTree();
    this.core.asks.cancelAll();
    if (this.system) stopNact(this.system.nactRef);
    // nact runs each stopped actor's afterStop in a setImmediate; wait one turn so
    // none is still pending when this resolves (nothing else of ours is left).
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private shardOptions(requested: number | undefined): ShardedSupervisorOptions {
    const max = requested ?? this.maxChildrenPerShard;
    return max === undefined ? {} : { maxChildrenPerShard: max };
  }
}
