import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, one field set per component via `child`. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid }, redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' } });
}
