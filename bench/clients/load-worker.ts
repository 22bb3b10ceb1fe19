/**
 * Child-process entry of the load generator: one process holds a slice of the subscribers and
 * answers the orchestrator over IPC. Separate processes keep the load off the server's event loop
 * and let it be pinned to its own core.
 */
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { WorkerArgs, WorkerRpc } from '../shared/worker-protocol.js';
import type { LoadPool } from './load-pool.js';
import { SocketIoPool } from './socketio-pool.js';
import { SubscriberPool } from './subscriber-pool.js';

const STOP_GRACE_MS = 2000;

const args = childArgs<WorkerArgs>();
let pool: LoadPool = new SubscriberPool();
guardLifetime(args.maxLifetimeMs);

serveParent<WorkerRpc>({
  open: (spec) => {
    if (spec.mode === 'socketio') pool = new SocketIoPool();
    pool.start(spec);
    return null;
  },
  timebase: (timebase) => {
    pool.setTimebase(timebase);
    return null;
  },
  status: () => pool.status(),
  reset: () => {
    pool.reset();
    return null;
  },
  snapshot: ({ withHistogram }) => pool.snapshot(withHistogram),
  stop: stopThenExit(() => pool.stop(STOP_GRACE_MS)),
});

announceReady({ pid: process.pid });
