/**
 * Every error corral raises, as fastify's lib/errors.js does it: one line per
 * error with its code, its message (a template: each `%s` takes one argument,
 * arguments left over follow after ": "), the HTTP status a route answers it
 * with and the exit code the CLI ends with. `CorralError` carries all four;
 * `exitCodeOf` and `httpStatusOf` are the one mapping from an error to them.
 *
 * The WS/CMP/RES/CFG codes are the wire's (the `error_code` of an error
 * message or `error.CODE` event); their message is the meaning the protocol
 * gives them (src/schema/errors.ts serves them from here). The other codes
 * never leave the process as a code, only as a message and a status or exit code.
 */
export const ERRORS = {
  // The wire's codes.
  WS001: { message: 'WebSocket connection failed', status: 502, exitCode: 1, wire: true },
  WS002: { message: 'message is not parseable JSON', status: 400, exitCode: 1, wire: true },
  WS003: { message: 'message or event fails the schema', status: 400, exitCode: 1, wire: true },
  WS004: { message: 'rate limited', status: 429, exitCode: 1, wire: true },
  WS005: { message: 'unauthorized', status: 401, exitCode: 1, wire: true },
  WS006: { message: 'message too large', status: 413, exitCode: 1, wire: true },
  CMP001: { message: 'component timed out (start or health probe)', status: 504, exitCode: 1, wire: true },
  CMP002: { message: 'component crashed too often (crash loop) or could not start', status: 500, exitCode: 1, wire: true },
  RES001: { message: 'resource limit exceeded (critical alert)', status: 500, exitCode: 1, wire: true },
  CFG001: { message: 'configuration error', status: 400, exitCode: 2, wire: true },
  STO001: { message: 'state directory or event store lost or damaged; corral made a new one', status: 500, exitCode: 1, wire: true },
  // Components, as the control routes and the supervisor report them.
  CMP003: { message: 'no component named "%s"', status: 404, exitCode: 1, wire: false },
  CMP004: { message: 'component "%s" is disabled (enabled: false in the config)', status: 409, exitCode: 1, wire: false },
  CMP005: { message: 'start did not complete within %s ms', status: 504, exitCode: 1, wire: false },
  CMP006: { message: '%s', status: 400, exitCode: 2, wire: false }, // `up`/`down` named a component or profile the config does not have
  // The command line.
  CLI001: { message: '%s', status: 400, exitCode: 2, wire: false }, // usage: a wrong flag or argument
  CLI002: { message: '%s', status: 503, exitCode: 1, wire: false }, // no daemon runs for this config
  CLI003: { message: '%s', status: 409, exitCode: 2, wire: false }, // the state directory is another config's
  CLI004: { message: '%s', status: 502, exitCode: 1, wire: false }, // the daemon's answer is not what was asked
  CLI005: { message: '%s', status: 400, exitCode: 2, wire: false }, // the daemon refused the request as asked (400)
  // The daemon's start (`corral up`, `corral daemon`).
  DMN001: { message: '%s', status: 500, exitCode: 1, wire: false }, // cannot start: already running, store unusable
  DMN002: { message: '%s', status: 500, exitCode: 2, wire: false }, // cannot start as configured: fix the config or the port
  // The HTTP layer.
  HTTP001: { message: '%s', status: 400, exitCode: 1, wire: false }, // request body unreadable
  HTTP002: { message: '%s', status: 413, exitCode: 1, wire: false }, // request body too large
  HTTP003: { message: '%s', status: 503, exitCode: 1, wire: false }, // the daemon-wide request-body budget is full: try again
  // The event store, MCP and the supervisor.
  STO002: { message: '%s', status: 500, exitCode: 1, wire: false }, // the event store cannot be opened or written where it is
  MCP001: { message: '%s', status: 502, exitCode: 1, wire: false }, // `corral mcp`: the daemon refused or failed a request
  SUP001: { message: '%s', status: 500, exitCode: 1, wire: false }, // an illegal component state transition (a bug in corral)
  // Plugins and runners.
  PLG001: { message: '%s', status: 500, exitCode: 1, wire: false }, // a plugin cannot be loaded
  PLG002: { message: '%s', status: 500, exitCode: 1, wire: false }, // a plugin's create failed, hung or its keys are wrong
  TMX001: { message: '%s', status: 500, exitCode: 1, wire: false }, // a tmux command failed
  MON001: { message: '%s', status: 502, exitCode: 1, wire: false }, // `corral monitor`: the daemon answered badly
} as const satisfies Record<string, { message: string; status: number; exitCode: number; wire: boolean }>;

/** Any code of the catalogue. */
export type CorralErrorCode = keyof typeof ERRORS;

/** The codes that travel on the wire. */
export type WireErrorCode = { [K in CorralErrorCode]: (typeof ERRORS)[K]['wire'] extends true ? K : never }[CorralErrorCode];

/** The wire's codes, in the catalogue's order. */
export const WIRE_ERROR_CODES = (Object.keys(ERRORS) as CorralErrorCode[]).filter((c): c is WireErrorCode => ERRORS[c].wire);

/** The catalogue's message of `code` with `args` in place of its `%s` (any left over follow after ": "). */
export function formatError(code: CorralErrorCode, args: readonly unknown[] = []): string {
  let i = 0;
  const text = ERRORS[code].message.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
  const rest = args.slice(i).map(String).filter((s) => s !== '');
  return rest.length > 0 ? `${text}: ${rest.join(': ')}` : text;
}

/** An error of the catalogue: its code, message, HTTP status and CLI exit code. */
export class CorralError extends Error {
  readonly code: CorralErrorCode;
  readonly status: number;
  readonly exitCode: number;

  constructor(code: CorralErrorCode, args: readonly unknown[] = [], options?: { cause?: unknown }) {
    super(formatError(code, args), options);
    this.code = code;
    this.status = ERRORS[code].status;
    this.exitCode = ERRORS[code].exitCode;
    this.name = new.target.name;
  }
}

/** A CorralError of `code` (fastify's createError, without a class per code). */
export function createError(code: CorralErrorCode, ...args: unknown[]): CorralError {
  return new CorralError(code, args);
}

/** The exit code a CLI command ends with for `err`: the catalogue's, else 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof CorralError ? err.exitCode : 1;
}

/** The HTTP status a route answers `err` with: the catalogue's, else 500. */
export function httpStatusOf(err: unknown): number {
  return err instanceof CorralError ? err.status : 500;
}
