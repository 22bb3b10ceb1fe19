/**
 * Redis could not be reached (or refused us) where a connection is opened. The message says what
 * to check: the variables that pick the target, the target itself (password redacted), and a
 * hint read from the cause when it tells a likely misconfiguration.
 */
export class RedisConnectionError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  constructor(readonly target: string, readonly connection: string, cause: unknown) {
    const why = reason(cause);
    super(`Redis connection ${connection} to ${target} failed: ${why}. ${hintFor(why, target)}`, { cause });
    this.name = 'RedisConnectionError';
  }
}

/** The cause's message, with the node error a cluster client keeps behind its own, less telling one. */
function reason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const last = (cause as { lastNodeError?: unknown }).lastNodeError;
  const message = last instanceof Error ? `${cause.message} (${last.message})` : cause.message;
  return message.replace(/\.+$/, '');
}

function hintFor(why: string, target: string): string {
  if (/cluster support disabled/i.test(why)) return 'The server is not a Redis Cluster: set SUPERNOVA_REDIS_TOPOLOGY=single, or point SUPERNOVA_REDIS_URL at the cluster\'s nodes.';
  const refused = /WRONGPASS|NOAUTH|invalid password|invalid username/i;
  // ioredis asks the Sentinels first: a refusal that comes with their being unreachable is theirs.
  if (/All sentinels are unreachable/i.test(why) && refused.test(why)) {
    return 'The Sentinels refuse the credentials: set SUPERNOVA_REDIS_SENTINEL_PASSWORD (and SUPERNOVA_REDIS_SENTINEL_USERNAME for an ACL user) to what the Sentinels require; the master\'s stay in SUPERNOVA_REDIS_URL.';
  }
  if (refused.test(why)) return 'The server refuses the credentials: check the user and password in SUPERNOVA_REDIS_URL.';
  if (/sentinel/i.test(target) && /master|IDONTKNOW/i.test(why)) return 'Check SUPERNOVA_REDIS_SENTINEL_MASTER (the name the Sentinels monitor) and the Sentinel list in SUPERNOVA_REDIS_URL.';
  return 'Check that Redis runs there, and SUPERNOVA_REDIS_URL and SUPERNOVA_REDIS_TOPOLOGY.';
}
