export { WebSocketGateway, type WebSocketGatewayOptions } from './websocket-gateway.js';
export type { SocketPort, ConnectionHandler, ConnectionAcceptor, InboundFrame } from './ports.js';
