/**
 * Child-process entry: the baseline. Bare uWebSockets.js pub/sub with no protocol, no actors and
 * no validation: what the same machine does when nothing but native fan-out runs. It sends the
 * same JSON push bytes as SuperNova, so bytes per message match and only the engine differs.
 */
import { runServerChild } from '../servers/server-child.js';
import { pushFrame } from '../servers/push-frame.js';
import { startRawPubSub } from './raw-pubsub.js';

await runServerChild(async (args) => {
  const server = await startRawPubSub({ port: args.port, defaultChannel: 'bench:0' });
  return {
    port: server.port,
    publish: (channel, data) => {
      server.app.publish(channel, pushFrame(channel, data), false, false);
    },
    connections: server.connections,
    stop: async () => server.stop(),
  };
});
