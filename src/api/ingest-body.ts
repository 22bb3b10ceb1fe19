import { unpack } from 'msgpackr';
import { HttpError, type RequestContext } from '../http/index.js';

const JSON_TYPES = new Set(['application/json']);
const MSGPACK_TYPES = new Set(['application/msgpack', 'application/x-msgpack']);

/**
 * The array an ingest body holds, JSON or msgpack by its content-type (the tick and news ingest
 * routes take both); anything else is a 4xx with `notArray` or the decoder's reason.
 */
export function decodeIngestArray(ctx: RequestContext, notArray: string): unknown[] {
  const type = (ctx.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let decoded: unknown;
  if (JSON_TYPES.has(type)) decoded = ctx.json();
  else if (MSGPACK_TYPES.has(type)) decoded = decodeMsgpack(ctx.body);
  else {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type ${JSON.stringify(type)} is not supported; send application/json or application/msgpack`);
  }
  if (!Array.isArray(decoded)) throw new HttpError(400, 'BAD_REQUEST', notArray);
  return decoded;
}

function decodeMsgpack(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'request body must be msgpack, got an empty body');
  try {
    return unpack(body);
  } catch (err) {
    throw new HttpError(400, 'BAD_REQUEST', `request body is not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
}
