import { z } from 'zod';
import { ErrorCode } from '../protocol/index.js';
import { HttpError, type RequestContext, type Router } from '../http/index.js';
import { apiKeyGuard } from './api-key.js';
import { PRIORITIES, TASK_ID_PATTERN, TaskError, type Tasks } from '../../actors/task-worker/index.js';

const submission = z.object({
  type: z.string().min(1).max(64),
  args: z.unknown().refine((v) => v !== undefined, 'args is required'),
  priority: z.enum(PRIORITIES).optional(),
  timeoutMs: z.number().int().positive().optional(),
}).strict();

const batch = z.object({
  type: z.string().min(1).max(64),
  items: z.array(z.unknown()).min(1),
  concurrency: z.number().int().positive().optional(),
  priority: z.enum(PRIORITIES).optional(),
  timeoutMs: z.number().int().positive().optional(),
}).strict();


/**
 * The task routes, with the server API key (`Authorization: apikey KEY`):
 * `POST /api/v1/tasks` {type, args, priority?, timeoutMs?} -> 202 {id};
 * `POST /api/v1/tasks/batch` {type, items, concurrency?, priority?, timeoutMs?} -> 202 {id};
 * `GET /api/v1/tasks/:id` -> the task; `DELETE /api/v1/tasks/:id` cancels it.
 * Bad type or args: 400 / 107 with the reason; a full queue: 429 / 106 naming the limit.
 */
export function registerTasksApi(router: Router, o: { apiKey: string | undefined; tasks: Tasks }): void {
  const authorize = apiKeyGuard(o.apiKey);
  const body = <S extends z.ZodType>(ctx: RequestContext, schema: S, what: string): z.output<S> => {
    const parsed = schema.safeParse(ctx.body.length === 0 ? undefined : ctx.json());
    if (!parsed.success) {
      throw new HttpError(400, ErrorCode.BadRequest, `${what}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  };
  const id = (ctx: RequestContext): string => {
    const value = ctx.params.id ?? '';
    if (!TASK_ID_PATTERN.test(value)) throw new HttpError(400, ErrorCode.BadRequest, 'a task id is 1-101 of A-Z a-z 0-9 _ . ~ -');
    return value;
  };
  router.post('/api/v1/tasks', async (ctx) => {
    authorize(ctx);
    const b = body(ctx, submission, 'tasks');
    return { status: 202, body: { id: await mapped(() => o.tasks.submit(b)) } };
  });
  router.post('/api/v1/tasks/batch', async (ctx) => {
    authorize(ctx);
    const b = body(ctx, batch, 'tasks/batch');
    return { status: 202, body: { id: await mapped(() => o.tasks.submitBatch(b)) } };
  });
  router.get('/api/v1/tasks/:id', async (ctx) => {
    authorize(ctx);
    return { body: await mapped(() => o.tasks.status(id(ctx))) };
  });
  router.add('delete', '/api/v1/tasks/:id', async (ctx) => {
    authorize(ctx);
    return { body: await mapped(() => o.tasks.cancel(id(ctx))) };
  });
}

async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TaskError) throw new HttpError(err.httpStatus, err.code, err.message, { cause: err });
    throw err;
  }
}
