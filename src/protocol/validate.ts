import { z } from 'zod';
import type { Command, CommandMethod } from './frames.js';
import { MalformedFrameError } from './codec.js';

const channel = z.string().min(1).max(255);
const token = z.string().min(1).max(16 * 1024);
const offset = z.number().int().min(0);
const position = z.object({ offset, epoch: z.string().max(64) });

// Unknown fields are dropped, not refused: newer SDKs add fields (tf, type...) older servers ignore.
const requests = {
  connect: z.object({
    token: z.string().max(16 * 1024).optional(),
    data: z.unknown().optional(),
    subs: z.record(z.string(), z.object({ recover: z.boolean().optional(), epoch: z.string().optional(), offset: offset.optional() })).optional(),
    name: z.string().max(64).optional(),
    version: z.string().max(64).optional(),
  }),
  subscribe: z.object({
    channel,
    token: z.string().max(16 * 1024).optional(),
    recover: z.boolean().optional(),
    epoch: z.string().max(64).optional(),
    offset: offset.optional(),
    data: z.unknown().optional(),
    positioned: z.boolean().optional(),
    recoverable: z.boolean().optional(),
    join_leave: z.boolean().optional(),
    flag: z.number().int().optional(),
    // Centrifugo disconnects (bad request) a subscribe naming a delta type it does not know.
    delta: z.enum(['', 'fossil']).optional(),
  }),
  unsubscribe: z.object({ channel }),
  publish: z.object({ channel, data: z.unknown().refine((v) => v !== undefined, 'data is required') }),
  presence: z.object({ channel }),
  presence_stats: z.object({ channel }),
  history: z.object({ channel, limit: z.number().int().min(-1).optional(), since: position.optional(), reverse: z.boolean().optional() }),
  rpc: z.object({ method: z.string().max(256).optional(), data: z.unknown().optional() }),
  refresh: z.object({ token }),
  sub_refresh: z.object({ channel, token }),
  send: z.object({ data: z.unknown() }),
} as const;

type Method = keyof typeof requests;
const methods = Object.keys(requests) as Method[];

/**
 * Turns one decoded message into a typed command. Anything else is a malformed frame: the
 * client is speaking another protocol or is broken, and gets disconnect 3501.
 */
export function parseCommand(raw: unknown): Command {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedFrameError('a command must be an object');
  const obj = raw as Record<string, unknown>;
  let method: Method | undefined;
  for (const m of methods) {
    if (obj[m] !== undefined) {
      if (method !== undefined) throw new MalformedFrameError(`a command carries one method, got ${method} and ${m}`);
      method = m;
    }
  }
  const id = obj.id ?? 0;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new MalformedFrameError('id must be a uint32');
  if (method === undefined) {
    if (id !== 0) throw new MalformedFrameError('command with an id has no method');
    return { id: 0, pong: true };
  }
  if (method === 'send') {
    if (id !== 0) throw new MalformedFrameError('send takes no id');
  } else if (id === 0) throw new MalformedFrameError(`${method} needs an id`);
  const res = requests[method].safeParse(obj[method]);
  if (!res.success) {
    throw new MalformedFrameError(`${method}: ${res.error.issues.map((i) => `${i.path.join('.') || 'request'} ${i.message}`).join('; ')}`);
  }
  return { id, [method]: res.data } as Command;
}

export function commandMethod(cmd: Command): CommandMethod {
  for (const key in cmd) if (key !== 'id') return key as CommandMethod;
  return 'pong';
}
