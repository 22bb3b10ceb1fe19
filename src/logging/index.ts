export { LogSink, type LogSinkOptions } from './log-sink.js';
export { createLogger, type Logging, type LoggingConfig } from './create-logger.js';
