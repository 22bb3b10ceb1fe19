/**
 * Child-process entry of the load generator: one process holds a slice of the subscribers and
 * answers the orchestrator over IPC. Separate processes keep the load off the server's event loop
 * and let it be pinned to its own core.
 */
import { announceReady, childArgs, guardLifetime, serveParent } from '../shared/ipc.js';
import type { WorkerArgs, WorkerRpc } from '../shared/worker-protocol.js';
import { SubscriberPool } from './subscriber-pool.js';

const STOP_GRACE_MS = 2000;

const args = childArgs<WorkerArgs>();
const pool = new SubscriberPool();
guardLifetime(args.maxLifetimeMs);

serveParent<WorkerRpc>({
  open: (spec) => {
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
  stop: async () => {
    await pool.stop(STOP_GRACE_MS);
    // Exit after the reply is on its way: nothing of this process is needed any more.
    setTimeout(() => process.exit(0), 50);
    return null;
  },
});

announceReady({ pid: process.pid });
