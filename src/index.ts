// The public API of SuperNova: embed an engine, configure it, and speak its protocol.
export { Engine, type EngineOptions } from './engine.js';
export { loadConfig, configEntries, ConfigError, defaultNamespaces, type SupernovaConfig, type ConfigOverrides, type NamespaceOptions, type NamespaceInput } from './config/index.js';
export { ErrorCode, DisconnectCode, ProtocolError, DisconnectError, jsonCodec, msgpackCodec, protobufCodec, type Codec, type Publication, type StreamPosition } from './protocol/index.js';
export type { Broker, HistoryQuery, HistoryResult } from './broker/index.js';
export { HttpError } from './http/index.js';
export { SentimentStartError } from './sentiment/index.js';
export type { RpcMethod, RpcCaller } from '../actors/connection/index.js';
export type { Tasks, TaskDefinition, TaskContext, TaskView, TaskStatus, Priority, Submission, BatchSubmission } from '../actors/task-worker/index.js';
export { taskType } from '../actors/task-worker/index.js';
