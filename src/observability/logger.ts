import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Fields that may hold a credential: whatever logs them by mistake prints `[redacted]` instead. */
export const REDACTED_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'secret', '*.secret', 'nodeSecret', '*.nodeSecret', 'adminToken', '*.adminToken', 'token', '*.token',
  'ownerKey', '*.ownerKey', 'owner_key', '*.owner_key',
];

/**
 * JSON lines for machines (files, containers, log shippers); on a terminal, or with
 * SHARDSTORE_LOG_FORMAT=pretty, readable lines (`12:00:01 INFO POST /images/ololo/file.jpg 201 0.570s`).
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, tty = process.stdout.isTTY === true): 'json' | 'pretty' {
  const chosen = env.SHARDSTORE_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return tty ? 'pretty' : 'json';
}

/** One root logger per process, handed down; components take children (`logger.child({component})`). */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  destination ??= logFormat() === 'pretty' ? pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,reqId', singleLine: true }) : undefined;
  const options = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
