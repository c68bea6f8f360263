/**
 * `.env` files as docker compose reads them: `KEY=value` lines, blank lines
 * and `#` comments skipped; a value may be unquoted (trimmed; ` #` starts a
 * comment, a `#` glued to the value does not), in single quotes (literal) or
 * in double quotes (`\n`, `\t`, `\r`, `\\`, `\"` are escapes); quoted values
 * may span lines. A bare `KEY` takes corral's own value of KEY when it has
 * one, else is skipped (compose does the same). Unquoted and double-quoted
 * values are interpolated as the config is (src/config/interpolate.ts:
 * `${VAR}`, `${VAR:-default}`, `${VAR:?message}`, `$$`), from corral's own
 * environment first, then the variables above in the same file; `\$` in
 * double quotes is a literal `$`; single-quoted values are taken as written.
 *
 * Written here rather than taken from the `dotenv` package or Node's
 * `util.parseEnv`: both skip a line they cannot read without saying so, and
 * both end an unquoted value at a `#` even without a space before it
 * (`PASS=a#b` would become `a`). A config error must name the file and line,
 * and a password must arrive whole.
 *
 * Messages never quote a value: an env file holds secrets.
 */

import { interpolate } from './interpolate.js';

export interface DotenvProblem {
  /** 1-based line in the env file. */
  line: number;
  message: string;
}

export interface DotenvResult {
  vars: Record<string, string>;
  problems: DotenvProblem[];
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
// `\$` becomes `$$`, which the interpolation makes a literal `$`.
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', $: '$$' };

/** Parses the text of an env file; `lookup` gives corral's own value for a bare `KEY` line. */
export function parseDotenv(text: string, lookup: (name: string) => string | undefined = () => undefined): DotenvResult {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  const problems: DotenvProblem[] = [];
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  let line = 1;
  /**
   * KEY's value interpolated; null (and a problem at `at`) when a `${VAR:?…}`
   * fired or a `${` is malformed: said without quoting the value, which may be a secret.
   */
  const expandValue = (key: string, value: string, at: number): string | null => {
    const r = interpolate(value, (name) => lookup(name) ?? vars[name]);
    if (r.errors.length === 0) return r.value;
    const malformed = `${key}'s value has a "\${" that is not a variable reference (write $$ for a literal $, or put the value in single quotes)`;
    problems.push({ line: at, message: [...new Set(r.errors.map((e) => (e.startsWith('"${') ? malformed : e)))].join('; ') });
    return null;
  };
  const setValue = (key: string, value: string | null): void => {
    if (value !== null) vars[key] = value;
  };
  while (pos < src.length) {
    const end = src.indexOf('\n', pos) === -1 ? src.length : src.indexOf('\n', pos);
    const raw = src.slice(pos, end);
    const trimmed = raw.trim();
    const startLine = line;
    const next = (): void => {
      pos = end + 1;
      line++;
    };
    if (trimmed === '' || trimmed.startsWith('#')) {
      next();
      continue;
    }
    const eq = raw.indexOf('=');
    const key = (eq === -1 ? raw : raw.slice(0, eq)).trim();
    if (/^export\s/.test(key)) {
      problems.push({ line: startLine, message: `"export" is not part of env file syntax: write ${key.replace(/^export\s+/, '')}=… without it` });
      next();
      continue;
    }
    if (!KEY_RE.test(key)) {
      const why = eq === -1 ? 'expected KEY=value' : `"${key.slice(0, 40)}" is not a variable name (letters, digits, _ . -, not starting with a digit)`;
      problems.push({ line: startLine, message: why });
      next();
      continue;
    }
    if (eq === -1) {
      const own = lookup(key);
      if (own !== undefined) vars[key] = own;
      next();
      continue;
    }
    // The value starts after `=`, leading blanks skipped.
    let at = pos + eq + 1;
    while (src[at] === ' ' || src[at] === '\t') at++;
    const quote = src[at];
    if (quote === '"' || quote === "'") {
      const read = readQuoted(src, at, quote);
      if (read === null) {
        problems.push({ line: startLine, message: `the ${quote === '"' ? 'double' : 'single'} quote that opens ${key}'s value is never closed` });
        // Nothing after an unclosed quote can be read reliably.
        return { vars, problems };
      }
      line += countNewlines(src, at, read.end);
      const restEnd = src.indexOf('\n', read.end) === -1 ? src.length : src.indexOf('\n', read.end);
      const rest = src.slice(read.end, restEnd).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        problems.push({ line, message: `unexpected text after the closing quote of ${key}'s value (a comment starts with #)` });
      } else {
        setValue(key, quote === '"' ? expandValue(key, read.value, startLine) : read.value);
      }
      pos = restEnd + 1;
      line++;
      continue;
    }
    const value = src.slice(at, end);
    // ` #` starts a comment; `a#b` is a value.
    const comment = value.search(/[ \t]#/);
    setValue(key, expandValue(key, (comment === -1 ? value : value.slice(0, comment)).trim(), startLine));
    next();
  }
  return { vars, problems };
}

function readQuoted(src: string, start: number, quote: string): { value: string; end: number } | null {
  let value = '';
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (quote === '"' && c === '\\' && i + 1 < src.length) {
      const escaped = ESCAPES[src[i + 1]!];
      if (escaped !== undefined) {
        value += escaped;
        i++;
        continue;
      }
    }
    value += c;
  }
  return null;
}

function countNewlines(src: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (src[i] === '\n') n++;
  return n;
}
