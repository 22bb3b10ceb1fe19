import { Engine, type SupernovaConfig } from '../../src/index.js';
import type { ServerArgs } from '../shared/server-protocol.js';
import { runServerChild } from './server-child.js';

/**
 * Runs SuperNova's Engine as a benchmark server child: the publisher loop calls `engine.publish()`,
 * as production code does. Shared by the fan-out, scale and load-test servers.
 */
export function runEngineServerChild(configOf: (args: ServerArgs) => SupernovaConfig): Promise<void> {
  return runServerChild(async (args) => {
    const engine = new Engine({ config: configOf(args) });
    const { port } = await engine.start();
    return {
      port,
      publish: (channel, data) => {
        engine.publish(channel, data).catch((err: unknown) => process.stderr.write(`publish failed: ${String(err)}\n`));
      },
      connections: () => engine.connections,
      stop: () => engine.stop(),
    };
  });
}
