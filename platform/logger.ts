import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * The process logger, one field set per component via `child`: human-readable lines when stdout
 * is a terminal (someone is watching `npm start`), JSON lines otherwise (a log collector reads them).
 */
export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
  };
  const human = opts.pretty ?? process.stdout.isTTY === true;
  // A synchronous pretty stream, not a transport thread: the last lines before an exit are not lost.
  return human
    ? pino(options, pretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' }))
    : pino(options);
}
