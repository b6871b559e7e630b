/**
 * Structured logs (pino) with repeats suppressed: the same message with the
 * same details is logged once per `window` at its level, and at debug after
 * that (as ip-masq-agent's logreduction does, with a 24 h window).
 */
import { pino, type Logger } from 'pino';

/** The agent's logger. */
export interface AgentLog {
  info(msg: string, details?: Record<string, unknown>): void;
  warn(msg: string, details?: Record<string, unknown>): void;
  error(msg: string, details?: Record<string, unknown>): void;
}

/** A pino logger writing JSON lines to `dest` (a stream, default stderr). */
export function pinoLogger(dest: NodeJS.WritableStream = process.stderr, level = 'info'): Logger {
  return pino({ name: 'podpath-agent', level, base: { name: 'podpath-agent' } }, dest as never);
}

/** Wraps a pino logger so identical lines within `windowMs` go to debug. `now` is injected for tests. */
export function suppressRepeats(logger: Logger, windowMs = 24 * 3_600_000, now: () => number = Date.now): AgentLog {
  const seen = new Map<string, number>();
  const emit = (level: 'info' | 'warn' | 'error') => (msg: string, details: Record<string, unknown> = {}) => {
    const key = `${level}\0${msg}\0${JSON.stringify(details)}`;
    const t = now();
    const last = seen.get(key);
    if (last !== undefined && t - last < windowMs) {
      logger.debug({ ...details, repeated: true }, msg);
      return;
    }
    if (seen.size > 1000) seen.clear();
    seen.set(key, t);
    logger[level](details, msg);
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}
