import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Fields that may hold a credential: whatever logs them by mistake prints `[redacted]` instead. */
export const REDACTED_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'secret', '*.secret', 'nodeSecret', '*.nodeSecret', 'adminToken', '*.adminToken', 'token', '*.token',
  'ownerKey', '*.ownerKey', 'owner_key', '*.owner_key',
];

/** One root logger per process, handed down; components take children (`logger.child({component})`). */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
