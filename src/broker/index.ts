export type { Broker, HistoryQuery, HistoryResult, PresenceStats, PublishOptions } from './broker.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory-broker.js';
export { Fanout, topicOf, type TopicPort, type FanoutSink } from './fanout.js';
export { NamespaceRegistry, parseChannelName, type ChannelName } from './channel-name.js';
export { PublicationCheck, type PublicationCheckOptions } from './publication-check.js';
export type { HistoryStats, HistoryEviction } from './memory-history.js';
export { RedisBroker, type RedisBrokerOptions, type RedisConnections } from './redis-broker.js';
export { BrokerUnavailableError, BrokerStartError } from './errors.js';
export { ScopedBroker } from './scoped-broker.js';
