import type { Bus } from '../bus/types.js';
import { publishOwn } from '../bus/own-events.js';
import type { HealthPayload, OwnEventPayloads, StartedPayload, StoppedPayload } from '../schema/payloads.js';
import { makeError, type ErrorCode } from '../schema/errors.js';

export type { HealthPayload, StartedPayload, StopReason, StoppedPayload } from '../schema/payloads.js';

/** Publishes corral's own events about one component (`source: corral`). */
export interface ComponentEvents {
  started(payload: StartedPayload): void;
  stopped(payload: StoppedPayload): void;
  health(payload: HealthPayload): void;
  error(code: ErrorCode, component: string, message: string, context?: Record<string, unknown>): void;
}

/** The event publisher backed by the bus. A refused publish is a bug in corral, so it is logged, not thrown. */
export function createComponentEvents(bus: Bus, onRefused: (message: string) => void = () => {}): ComponentEvents {
  const publish = <K extends 'component.started' | 'component.stopped' | 'component.health'>(type: K, payload: OwnEventPayloads[K]) => {
    const result = publishOwn(bus, type, payload);
    if (!result.ok) onRefused(`${type} refused by the bus: ${result.error.error_message}`);
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
