import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, vi, afterEach } from 'vitest';
import { CorralError, createError, ERRORS, exitCodeOf, formatError, httpStatusOf, WIRE_ERROR_CODES, type CorralErrorCode } from '../../src/errors.js';
import { ErrorCodes, ERROR_CODES } from '../../src/schema/errors.js';
import { UsageError } from '../../src/cli/args.js';
import { DaemonNotRunningError, StateDirConflictError } from '../../src/cli/daemon-client.js';
import { runCommand } from '../../src/cli/run-command.js';
import { run as logs } from '../../src/cli/logs.js';
import { UnknownComponentError } from '../../src/supervisor/types.js';
import { ComponentDisabledError } from '../../src/supervisor/component.js';
import { BodyError } from '../../src/server/http-util.js';
import { DaemonStartError } from '../../src/daemon/daemon.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

afterEach(() => vi.restoreAllMocks());

describe('the error catalogue (src/errors.ts)', () => {
  test('every entry has a unique code, a message, an HTTP status and a CLI exit code', () => {
    const text = readFileSync('src/errors.ts', 'utf8');
    const written = [...text.matchAll(/^\s+([A-Z]+\d{3}): \{/gm)].map((m) => m[1]);
    expect(new Set(written).size).toBe(written.length);
    expect(written).toEqual(Object.keys(ERRORS));
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(code, code).toMatch(/^[A-Z]{2,4}\d{3}$/);
      expect(e.message.trim(), code).not.toBe('');
      expect(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599, code).toBe(true);
      expect([1, 2], code).toContain(e.exitCode);
    }
  });

  test("the wire's codes are the protocol's, with their meanings", () => {
    expect(WIRE_ERROR_CODES).toEqual(Object.values(ErrorCodes));
    expect(ERROR_CODES).toEqual(Object.fromEntries(WIRE_ERROR_CODES.map((c) => [c, ERRORS[c].message])));
  });

  test('no error class is written outside the catalogue: every one extends CorralError', () => {
    const classes = sources('src').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w*Error)\b/g)].map((m) => `${file}: ${m[1]} extends ${m[2]}`),
    );
    expect(classes.filter((c) => / extends Error$/.test(c))).toEqual(['src/errors.ts: CorralError extends Error']);
  });

  test('messages are the templates with their arguments; leftovers follow after ": "', () => {
    expect(formatError('CMP003', ['web'])).toBe('no component named "web"');
    expect(formatError('WS003', ['payload: expected object'])).toBe('message or event fails the schema: payload: expected object');
    const err = createError('CMP004', 'db');
    expect(err).toBeInstanceOf(CorralError);
    expect([err.code, err.message, err.status, err.exitCode]).toEqual(['CMP004', 'component "db" is disabled (enabled: false in the config)', 409, 1]);
  });

  test.each<[Error, CorralErrorCode]>([
    [new UsageError('bad flag'), 'CLI001'],
    [new DaemonNotRunningError('not running'), 'CLI002'],
    [new StateDirConflictError('held by another config'), 'CLI003'],
    [new UnknownComponentError('web'), 'CMP003'],
    [new ComponentDisabledError('web'), 'CMP004'],
    [new BodyError(413, 'too large'), 'HTTP002'],
    [new BodyError(400, 'bad'), 'HTTP001'],
    [new DaemonStartError('port taken', 2), 'DMN002'],
    [new DaemonStartError('already running', 1), 'DMN001'],
  ])('%s carries its entry: code, status and exit code from the catalogue', (err, code) => {
    expect(err).toBeInstanceOf(CorralError);
    expect((err as CorralError).code).toBe(code);
    expect(httpStatusOf(err)).toBe(ERRORS[code].status);
    expect(exitCodeOf(err)).toBe(ERRORS[code].exitCode);
  });

  test('an error outside the catalogue is exit 1 and HTTP 500', () => {
    expect(exitCodeOf(new Error('bug'))).toBe(1);
    expect(httpStatusOf(new TypeError('bug'))).toBe(500);
  });
});

describe('the CLI ends with the exit code the catalogue gives', () => {
  test.each<[Error, CorralErrorCode]>([
    [new UsageError('bad flag'), 'CLI001'],
    [new DaemonNotRunningError('no daemon'), 'CLI002'],
    [new StateDirConflictError('held'), 'CLI003'],
  ])('runCommand: %s', async (err, code) => {
    let said = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((said += String(c)), true));
    expect(await runCommand(() => Promise.reject(err), 'x')).toBe(ERRORS[code].exitCode);
    expect(said).toBe(`corral x: ${err.message}\n`);
  });

  test('corral logs with a path for a name ends with the usage code', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await logs(['../x'])).toBe(ERRORS.CLI001.exitCode);
  });
});
