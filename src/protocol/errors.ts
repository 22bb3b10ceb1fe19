import { type DisconnectCode, type ErrorCode, disconnectReasons, errorMessages, temporaryErrors } from './codes.js';

/** A command failed: the client gets `error {code, message, temporary}` and the connection stays. */
export class ProtocolError extends Error {
  readonly temporary: boolean;
  constructor(readonly code: ErrorCode, message?: string) {
    super(message ?? errorMessages[code]);
    this.name = 'ProtocolError';
    this.temporary = temporaryErrors.has(code);
  }
  toReplyError(): { code: number; message: string; temporary?: true } {
    return this.temporary ? { code: this.code, message: this.message, temporary: true } : { code: this.code, message: this.message };
  }
}

/** The connection must end with this WebSocket close code. */
export class DisconnectError extends Error {
  readonly reason: string;
  constructor(readonly code: DisconnectCode, reason?: string) {
    super(reason ?? disconnectReasons[code]);
    this.name = 'DisconnectError';
    this.reason = reason ?? disconnectReasons[code];
  }
  get reconnect(): boolean {
    return this.code < 3500;
  }
}
