import { z } from 'zod';
import { ERRORS, WIRE_ERROR_CODES, type WireErrorCode } from '../errors.js';

/**
 * Every error code corral speaks on the wire, with its meaning: the wire's
 * entries of the catalogue in src/errors.ts. `docs/errors.md` lists the same
 * table and a test keeps the two in step.
 */
export const ERROR_CODES = Object.fromEntries(WIRE_ERROR_CODES.map((code) => [code, ERRORS[code].message])) as {
  readonly [K in WireErrorCode]: (typeof ERRORS)[K]['message'];
};

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** Named constants of the spec's ErrorCode enum. */
export const ErrorCodes = {
  WS_CONNECTION_FAILED: 'WS001',
  WS_MESSAGE_PARSE_ERROR: 'WS002',
  WS_SCHEMA_ERROR: 'WS003',
  WS_RATE_LIMITED: 'WS004',
  WS_UNAUTHORIZED: 'WS005',
  WS_TOO_LARGE: 'WS006',
  COMPONENT_TIMEOUT: 'CMP001',
  COMPONENT_CRASH: 'CMP002',
  RESOURCE_LIMIT_EXCEEDED: 'RES001',
  CONFIGURATION_ERROR: 'CFG001',
  STORE_LOST: 'STO001',
} as const satisfies Record<string, ErrorCode>;

export const SeveritySchema = z.enum(['warning', 'error', 'critical']);

/** The data of an `error` message (spec: ErrorData). Unknown codes are accepted as strings. */
export const ErrorDataSchema = z.looseObject({
  error_code: z.string().min(1),
  error_message: z.string(),
  component: z.string(),
  severity: SeveritySchema,
  context: z.any().optional(),
  stack_trace: z.string().optional(),
});
/** The data of an error message. */
export type ErrorData = z.infer<typeof ErrorDataSchema>;

/** Errors that concern the whole ecosystem: broadcast and stored as `error.CODE` events. */
export const ECOSYSTEM_ERROR_CODES: readonly ErrorCode[] = ['CMP001', 'CMP002', 'RES001', 'CFG001'];

/** Builds an ErrorData with the code's default message when none is given. */
export function makeError(
  code: ErrorCode,
  component: string,
  message?: string,
  extra: { severity?: ErrorData['severity']; context?: unknown; stack_trace?: string } = {},
): ErrorData {
  return {
    error_code: code,
    error_message: message ?? ERROR_CODES[code],
    component,
    severity: extra.severity ?? 'error',
    ...(extra.context !== undefined ? { context: extra.context } : {}),
    ...(extra.stack_trace !== undefined ? { stack_trace: extra.stack_trace } : {}),
  };
}
