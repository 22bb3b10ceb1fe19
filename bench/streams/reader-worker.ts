/**
 * Child-process entry of `bench:streams`: one process of readers, holding a slice of one
 * transport's sessions and answering the orchestrator over IPC. Several of them split a large run
 * so that no process nears the open-file limit and each event loop has fewer sockets to visit.
 */
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { ReaderArgs, ReaderRpc } from './reader-protocol.js';
import { ReaderPool } from './reader-pool.js';

const STOP_GRACE_MS = 2000;

const args = childArgs<ReaderArgs>();
guardLifetime(args.maxLifetimeMs);
const pool = new ReaderPool();

serveParent<ReaderRpc>({
  open: (spec) => {
    pool.open(spec);
    return null;
  },
  status: () => pool.status(),
  reset: () => {
    pool.reset();
    return null;
  },
  received: () => pool.receivedCount,
  snapshot: ({ expected }) => pool.snapshot(expected),
  stop: stopThenExit(() => pool.stop(STOP_GRACE_MS)),
});

announceReady({ pid: process.pid });
