import type { Bus } from '../bus/types.js';
import { makeError, type ErrorCode } from '../schema/errors.js';

/** Why a generation ended, as `component.stopped` reports it (docs/protocol.md). */
export type StopReason = 'exited' | 'crashed' | 'stopped' | 'killed' | 'failed';

export interface StartedPayload {
  component: string;
  pid: number | null;
  generation: number;
  plugin: string;
  command: string;
}

export interface StoppedPayload {
  component: string;
  pid: number | null;
  generation: number;
  exit_code: number | null;
  signal: string | null;
  reason: StopReason;
  runtime_ms: number;
  restarts: number;
  next_restart_in_ms: number | null;
  /** Why it failed, when reason is `failed`. */
  error?: string;
  /** Why corral stopped it (a stop command, a reload, a failed health check). */
  cause?: string;
}

export interface HealthPayload {
  component: string;
  status: 'healthy' | 'unhealthy';
  previous: 'healthy' | 'unhealthy' | 'unknown';
  probe: string;
  detail: string;
  generation: number;
}

/** Publishes corral's own events about one component (`source: corral`). */
export interface ComponentEvents {
  started(payload: StartedPayload): void;
  stopped(payload: StoppedPayload): void;
  health(payload: HealthPayload): void;
  error(code: ErrorCode, component: string, message: string, context?: Record<string, unknown>): void;
}

/** The event publisher backed by the bus. A refused publish is a bug in corral, so it is logged, not thrown. */
export function createComponentEvents(bus: Bus, onRefused: (message: string) => void = () => {}): ComponentEvents {
  const publish = (event_type: string, payload: object) => {
    const result = bus.publish({ source: 'corral', session_id: bus.sessionId, event_type, payload });
    if (!result.ok) onRefused(`${event_type} refused by the bus: ${result.error.error_message}`);
  };
  return {
    started: (p) => publish('component.started', p),
    stopped: (p) => publish('component.stopped', p),
    health: (p) => publish('component.health', p),
    error: (code, component, message, context) => {
      const result = bus.publishError(makeError(code, component, message, context ? { context } : {}));
      if (!result.ok) onRefused(`error.${code} refused by the bus: ${result.error.error_message}`);
    },
  };
}

/** "exit code 1" / "signal SIGKILL" / the OS error: how a generation ended, for reasons and errors. */
export function describeExit(info: { code: number | null; signal: string | null; error?: Error }): string {
  if (info.error) return info.error.message;
  if (info.signal) return `signal ${info.signal}`;
  return `exit code ${info.code ?? 'unknown'}`;
}
