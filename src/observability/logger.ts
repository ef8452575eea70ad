import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { redactCredentials } from './redact-credentials.js';

export type { Logger };

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
    // Credentials logged by mistake print `[redacted]`, in a line's fields and in a child logger's bindings.
    formatters: { log: redactCredentials, bindings: redactCredentials },
  };
  return destination ? pino(options, destination) : pino(options);
}
