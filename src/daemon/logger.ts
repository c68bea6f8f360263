import type { Logger } from '../plugins/types.js';

/** A line-oriented logger: `LEVEL [scope] message {extra}` to a writer (the daemon's log sink, or stderr). */
export function createLogger(write: (line: string) => void, scope = 'corral', minLevel: 'debug' | 'info' = 'info'): Logger {
  const emit = (level: string, msg: string, extra?: Record<string, unknown>) => {
    const tail = extra && Object.keys(extra).length > 0 ? ` ${safeJson(extra)}` : '';
    write(`${level} [${scope}] ${msg}${tail}\n`);
  };
  return {
    debug: (msg, extra) => {
      if (minLevel === 'debug') emit('debug', msg, extra);
    },
    info: (msg, extra) => emit('info', msg, extra),
    warn: (msg, extra) => emit('warn', msg, extra),
    error: (msg, extra) => emit('error', msg, extra),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? v.message : v));
  } catch {
    return String(value);
  }
}
