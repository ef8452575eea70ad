import { pino, type Logger } from 'pino';

export type { Logger };

/** One root logger per process, handed down; components take children (`logger.child({component})`). */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
