/**
 * Child-process entry: the publisher of `npm run bench:cluster`, outside every node, publishing
 * through the server API of one node on the publisher loop's schedule. The API key comes in
 * SUPERNOVA_API_KEY, as the nodes get it, so it never appears in a process list.
 */
import { announceReady, childArgs, guardLifetime, serveParent, stopThenExit } from '../shared/ipc.js';
import type { ApiPublisherArgs, PublisherRpc } from '../shared/publisher-protocol.js';
import { runPublisher } from '../servers/publisher-loop.js';
import { ApiPublishClient } from './api-publish.js';

/** Thrown by a publish the queue had no room for: the loop counts it as not published. */
const SKIPPED = new Error('skipped: every request in flight and the queue full');
/** How long the requests still queued or in flight after the loop may take to be answered. */
const SETTLE_MS = 30_000;

const args = childArgs<ApiPublisherArgs>();
guardLifetime(args.maxLifetimeMs);
const client = new ApiPublishClient({ url: args.url, apiKey: process.env.SUPERNOVA_API_KEY ?? '', maxInFlight: args.maxInFlight, maxQueued: args.maxQueued });
let publishing = false;

serveParent<PublisherRpc>({
  publish: async (plan) => {
    if (publishing) throw new Error('a publish phase is already running');
    publishing = true;
    try {
      client.resetStats();
      const outcome = await runPublisher(plan, (channel, data) => {
        if (!client.publish(channel, data.seq)) throw SKIPPED;
      });
      if (!(await client.settle(SETTLE_MS))) throw new Error(`publications still unanswered ${SETTLE_MS} ms after the loop`);
      // The loop counted skipped ones out already; what failed reaches nobody either: only what
      // the node accepted is expected at the subscribers.
      const perChannel = plan.channels.map((ch, c) => (outcome.perChannel[c] ?? 0) - client.failedIn(ch));
      const accepted = perChannel.reduce((a, b) => a + b, 0);
      return { ...outcome, perChannel, published: accepted, failures: outcome.published - accepted };
    } finally {
      publishing = false;
    }
  },
  stats: () => client.stats(),
  stop: stopThenExit(async () => client.close()),
});

announceReady({ pid: process.pid });
