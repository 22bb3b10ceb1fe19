export { createRedisConnector, redisConnectorFrom, type ExtraOptions, type RedisClient, type RedisConnector, type RedisConnectorOptions } from './redis-connector.js';
export { RedisConnectionError } from './redis-connection-error.js';
export { checkSentinelMaster, describeRedisTarget, parseRedisTarget, redactRedisUrl, REDIS_TOPOLOGIES, RedisTargetError, type RedisAddress, type RedisTarget, type RedisTargetField, type RedisTopology } from './redis-target.js';
