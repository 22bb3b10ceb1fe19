import { z } from 'zod';
import { ErrorCode, ProtocolError } from '../../src/protocol/index.js';
import type { RpcMethod } from '../connection/index.js';
import { TaskError, TaskNotFoundError } from './errors.js';
import type { Tasks } from './tasks.js';
import { PRIORITIES, TASK_ID_PATTERN, type TaskView } from './types.js';

const submit = z.object({
  type: z.string().min(1).max(64),
  args: z.unknown().refine((v) => v !== undefined, 'args is required'),
  priority: z.enum(PRIORITIES).optional(),
  timeoutMs: z.number().int().positive().optional(),
}).strict();
const byId = z.object({ id: z.string().regex(TASK_ID_PATTERN) }).strict();

/**
 * `tasks.submit`, `tasks.status`, `tasks.cancel` over the WebSocket, for authenticated users
 * only. A user sees and cancels only their own tasks (another's id is answered as unknown), and
 * gets each completion pushed on `user#ID`.
 */
export function taskRpcMethods(tasks: Tasks): Record<string, RpcMethod> {
  const parse = <S extends z.ZodType>(schema: S, data: unknown, method: string): z.output<S> => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new ProtocolError(ErrorCode.BadRequest, `${method}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'params'} ${i.message}`).join('; ')}`);
    return parsed.data;
  };
  const user = (caller: { user: string }): string => {
    if (caller.user === '') throw new ProtocolError(ErrorCode.PermissionDenied, 'tasks need an authenticated connection (a token with a user)');
    return caller.user;
  };
  const own = async (id: string, who: string, read: (id: string) => Promise<TaskView>): Promise<TaskView> => {
    const view = await tasks.status(id);
    if (view.user !== who) throw new TaskNotFoundError(id);
    return view.status === 'queued' || view.status === 'running' ? read(id) : view;
  };
  return {
    'tasks.submit': (data, caller) => mapped(async () => {
      const who = user(caller);
      const s = parse(submit, data, 'tasks.submit');
      return { id: await tasks.submit({ ...s, user: who }) };
    }),
    'tasks.status': (data, caller) => mapped(() => {
      const who = user(caller);
      return own(parse(byId, data, 'tasks.status').id, who, (id) => tasks.status(id));
    }),
    'tasks.cancel': (data, caller) => mapped(() => {
      const who = user(caller);
      return own(parse(byId, data, 'tasks.cancel').id, who, (id) => tasks.cancel(id));
    }),
  };
}

async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TaskError) throw new ProtocolError(err.code as ErrorCode, err.message);
    throw err;
  }
}
