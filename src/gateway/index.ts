export { WebSocketGateway, type WebSocketGatewayOptions, type RefusalReason, type WsCompression } from './websocket-gateway.js';
export type { SocketPort, ConnectionHandler, ConnectionAcceptor, InboundFrame, SessionOptions } from './ports.js';
export { StreamGateway, type StreamGatewayOptions, type StreamStats } from './stream-gateway.js';
export { withStreamTopics } from './stream-topics.js';
export { registerStreamMetrics } from './stream-metrics.js';
