export { WebSocketGateway, type WebSocketGatewayOptions, type RefusalReason, type WsCompression } from './websocket-gateway.js';
export type { SocketPort, ConnectionHandler, ConnectionAcceptor, InboundFrame } from './ports.js';
