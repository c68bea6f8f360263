import { describe, expect, test } from 'vitest';
import { parseDotenv } from '../../../src/config/dotenv.js';
import { interpolate } from '../../../src/config/interpolate.js';

describe('parseDotenv (docker compose syntax)', () => {
  test('KEY=value, quotes, comments, blank lines', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN=value',
      'SPACED = padded value  ',
      'EMPTY=',
      "SINGLE='lit\\n $HOME # not a comment'",
      'DOUBLE="line1\\nline2\\t\\"q\\""',
      'INLINE=value # a comment',
      'GLUED=pa#ss',
      'QUOTED_COMMENT="x" # after the quote',
      'URL=postgres://u:p@h:5432/db?x=1',
      'MULTI="first',
      'second"',
      'AFTER=ok',
    ].join('\n');
    const { vars, problems } = parseDotenv(text);
    expect(problems).toEqual([]);
    expect(vars).toEqual({
      PLAIN: 'value',
      SPACED: 'padded value',
      EMPTY: '',
      SINGLE: 'lit\\n $HOME # not a comment',
      DOUBLE: 'line1\nline2\t"q"',
      INLINE: 'value',
      GLUED: 'pa#ss',
      QUOTED_COMMENT: 'x',
      URL: 'postgres://u:p@h:5432/db?x=1',
      MULTI: 'first\nsecond',
      AFTER: 'ok',
    });
  });

  test('CRLF line ends and a BOM are read as plain lines', () => {
    expect(parseDotenv('\uFEFFA=1\r\nB="2"\r\n').vars).toEqual({ A: '1', B: '2' });
  });

  test('a bare KEY takes corral\'s own value, or is skipped', () => {
    const { vars } = parseDotenv('HOME_DIR\nNOPE\n', (n) => (n === 'HOME_DIR' ? '/home/x' : undefined));
    expect(vars).toEqual({ HOME_DIR: '/home/x' });
  });

  test('bad lines are problems with their line, never with the value', () => {
    const { vars, problems } = parseDotenv(['OK=1', 'export TOKEN=s3cret', 'not a line', '1BAD=x', 'Q="x" trailing', 'LAST=2'].join('\n'));
    expect(vars).toEqual({ OK: '1', LAST: '2' });
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect(problems[0]!.message).toContain('"export" is not part of env file syntax');
    expect(JSON.stringify(problems)).not.toContain('s3cret');
  });

  test('unquoted and double-quoted values are interpolated, from corral\'s environment first, then the lines above; single quotes are literal', () => {
    const shell: Record<string, string> = { USER_FROM_SHELL: 'ann', HOST: 'shell-host' };
    const text = [
      'HOST=file-host',
      'DB_USER=app',
      'URL=postgres://${DB_USER}:pw@${HOST}:${PORT:-5432}/db',
      'DOUBLE="${USER_FROM_SHELL} pays \\$5 and $$6"',
      "SINGLE='${DB_USER} $$'",
      'DOLLAR=a$b $$c',
      'LATER=${DEFINED_BELOW:-none}',
      'DEFINED_BELOW=x',
    ].join('\n');
    const { vars, problems } = parseDotenv(text, (n) => shell[n]);
    expect(problems).toEqual([]);
    expect(vars).toMatchObject({
      URL: 'postgres://app:pw@shell-host:5432/db',
      DOUBLE: 'ann pays $5 and $6',
      SINGLE: '${DB_USER} $$',
      DOLLAR: 'a$b $c',
      LATER: 'none',
    });
  });

  test('a required variable that is missing, or a malformed ${, is a problem at its line that never quotes the value', () => {
    const { vars, problems } = parseDotenv(['OK=1', 'TOKEN=${API_TOKEN:?set API_TOKEN in your shell}', 'PASS=s3cr${et', 'LAST=2'].join('\n'));
    expect(vars).toEqual({ OK: '1', LAST: '2' });
    expect(problems).toEqual([
      { line: 2, message: 'API_TOKEN: set API_TOKEN in your shell' },
      { line: 3, message: expect.stringContaining("PASS's value has a \"${\" that is not a variable reference") },
    ]);
    expect(JSON.stringify(problems)).not.toContain('s3cr');
  });

  test('an unclosed quote stops the file with its line', () => {
    const { vars, problems } = parseDotenv('A=1\nB="never closed\nC=3\n');
    expect(vars).toEqual({ A: '1' });
    expect(problems).toEqual([{ line: 2, message: expect.stringContaining('never closed') }]);
  });
});

describe('interpolate', () => {
  const env: Record<string, string> = { HOST: 'db.local', EMPTY: '', PORT: '5432' };
  const lookup = (n: string) => env[n];

  test('${VAR}, defaults, $$ and a $ before anything else', () => {
    expect(interpolate('x ${HOST}:${PORT} $$HOME $HOME $1 ${MISSING:-dflt}', lookup)).toMatchObject({ value: 'x db.local:5432 $HOME $HOME $1 dflt', unset: [], errors: [] });
  });

  test('unset ${VAR} is empty and reported as unset', () => {
    const r = interpolate('a${NOPE}b', lookup);
    expect(r).toMatchObject({ value: 'ab', unset: ['NOPE'], errors: [] });
  });

  test(':- and - differ on an empty value; :+ and + too', () => {
    expect(interpolate('${EMPTY:-d}|${EMPTY-d}|${NOPE-d}|${HOST:+yes}|${EMPTY:+yes}|${EMPTY+yes}', lookup).value).toBe('d||d|yes||yes');
  });

  test('nested defaults', () => {
    expect(interpolate('${NOPE:-${HOST}:${PORT}}', lookup).value).toBe('db.local:5432');
  });

  test(':? with a message is an error; without one it says required', () => {
    expect(interpolate('${TOKEN:?set TOKEN to your API key}', lookup).errors).toEqual(['TOKEN: set TOKEN to your API key']);
    expect(interpolate('${EMPTY:?}', lookup).errors).toEqual(['EMPTY is required but empty']);
    expect(interpolate('${EMPTY?}', lookup).errors).toEqual([]);
    expect(interpolate('${HOST:?x}', lookup)).toMatchObject({ value: 'db.local', errors: [] });
  });

  test('malformed ${ is an error', () => {
    expect(interpolate('a ${HOST', lookup).errors[0]).toContain('never closed');
    expect(interpolate('${}', lookup).errors[0]).toContain('does not start with a variable name');
    expect(interpolate('${HOST*x}', lookup).errors[0]).toContain('expected }');
  });
});
