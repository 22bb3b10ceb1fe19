import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

/**
 * The architecture's dependency rules are lint rules (eslint.config.js); this runs the project's
 * config on one-line files, so a rule that is dropped or scoped to the wrong folder fails here.
 */
const eslint = new ESLint({ cwd: fileURLToPath(new URL('../../', import.meta.url)) });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const refused: [file: string, code: string, why: RegExp][] = [
  ['src/protocol/x.ts', "import 'uWebSockets.js';", /src\/protocol knows no socket/],
  ['src/protocol/x.ts', "export type { WebSocket } from 'uWebSockets.js';", /src\/protocol knows no socket/],
  ['src/protocol/x.ts', "import 'ws';", /src\/protocol knows no socket/],
  ['src/protocol/x.ts', "import '../gateway/index.js';", /no gateway, HTTP, broker or actor/],
  ['src/protocol/x.ts', "import '../http/index.js';", /no gateway, HTTP, broker or actor/],
  ['src/protocol/x.ts', "import type { Broker } from '../broker/index.js';", /no gateway, HTTP, broker or actor/],
  ['src/protocol/x.ts', "import '../../actors/connection/index.js';", /no gateway, HTTP, broker or actor/],
  ['src/protocol/x.ts', "import '../../test/support/engine.js';", /never imports test\//],
  ['src/broker/x.ts', "import type { WebSocket } from 'uWebSockets.js';", /the broker knows no uWebSockets.js/],
  ['src/broker/x.ts', "import '../../actors/connection/index.js';", /the broker imports no actor/],
  ['src/broker/x.ts', "import '../gateway/index.js';", /the broker imports no actor or socket code/],
  ['src/broker/x.ts', "import '../../bench/shared/median.js';", /never imports bench\//],
  ['actors/connection/x.ts', "import type { WebSocket } from 'uWebSockets.js';", /actors reach sockets through SocketPort/],
  ['actors/connection/x.ts', "import '../../test/support/engine.js';", /never imports test\//],
  ['streams/x.ts', "import '../src/config/index.js';", /streams\/ imports nothing from src\//],
  ['streams/market/x.ts', "import type { Codec } from '../../src/protocol/index.js';", /streams\/ imports nothing from src\//],
  ['streams/market/x.ts', "import '../../bench/shared/median.js';", /never imports bench\//],
  ['src/engine.ts', "import '../test/support/engine.js';", /never imports test\//],
  ['src/engine.ts', "import '../bench/shared/median.js';", /never imports bench\//],
];

const allowed: [file: string, code: string][] = [
  ['src/protocol/x.ts', "import './codes.js';"],
  ['src/protocol/x.ts', "import 'msgpackr';"],
  ['src/broker/x.ts', "import '../protocol/index.js';"],
  ['src/broker/x.ts', "import '../config/index.js';"],
  ['actors/connection/x.ts', "import '../../src/gateway/index.js';"],
  ['streams/market/x.ts', "import '../ports.js';"],
  ['src/gateway/x.ts', "import 'uWebSockets.js';"],
  ['src/engine.ts', "import '../streams/index.js';"],
  ['test/x.test.ts', "import '../src/engine.js';"],
  ['bench/x.ts', "import '../test/support/engine.js';"],
];

describe('dependency rules in lint', () => {
  it.each(refused)('%s: %s is refused', async (file, code, why) => {
    const messages = await restricted(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(why);
  });

  it.each(allowed)('%s: %s is allowed', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
