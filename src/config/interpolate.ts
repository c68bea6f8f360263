/**
 * Docker compose's interpolation of `${…}` in a config string:
 *
 *   ${VAR}            VAR's value; unset → empty (and a warning)
 *   ${VAR:-default}   default when VAR is unset or empty (`-`: only when unset)
 *   ${VAR:?message}   an error with the message when VAR is unset or empty (`?`: only when unset)
 *   ${VAR:+other}     other when VAR is set and not empty (`+`: when set)
 *   $$                a literal $
 *
 * A default, message or other may itself hold `${…}`. A `$` before anything
 * else (`$HOME`, `$1`) is left as written, for the shell of a `shell: true`
 * command; that is where corral differs from compose, which reads `$VAR` too.
 */

export interface Interpolated {
  value: string;
  /** Variables read while unset, with no default: each is an empty string in `value`. */
  unset: string[];
  /** `${VAR:?message}` that fired, and malformed `${`: the string cannot be used. */
  errors: string[];
  /** Every variable looked up. */
  used: Set<string>;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Interpolates `text`, reading variables with `lookup` (undefined when unset). */
export function interpolate(text: string, lookup: (name: string) => string | undefined): Interpolated {
  const out: Interpolated = { value: '', unset: [], errors: [], used: new Set() };
  if (!text.includes('$')) return { ...out, value: text };
  out.value = expand(text, lookup, out);
  return out;
}

function expand(text: string, lookup: (name: string) => string | undefined, out: Interpolated): string {
  let value = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      value += text.slice(i);
      break;
    }
    value += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      value += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      value += '$';
      i = dollar + 1;
      continue;
    }
    const close = matchingBrace(text, dollar + 2);
    if (close === -1) {
      out.errors.push(`"\${" at character ${dollar + 1} is never closed with "}" (write $$ for a literal $)`);
      return value + text.slice(dollar);
    }
    value += substitute(text.slice(dollar + 2, close), lookup, out);
    i = close + 1;
  }
  return value;
}

/** Index of the `}` that closes a `${` whose body starts at `from`, counting nested `${…}`; -1 when none. */
function matchingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function substitute(body: string, lookup: (name: string) => string | undefined, out: Interpolated): string {
  const name = NAME_RE.exec(body)?.[0];
  if (name === undefined) {
    out.errors.push(`"\${${body.slice(0, 40)}}" does not start with a variable name (letters, digits and _, not starting with a digit)`);
    return '';
  }
  out.used.add(name);
  const current = lookup(name);
  const rest = body.slice(name.length);
  if (rest === '') {
    if (current === undefined) out.unset.push(name);
    return current ?? '';
  }
  const op = /^(:?)([-?+])/.exec(rest);
  if (!op) {
    out.errors.push(`"\${${body.slice(0, 40)}}": after ${name} expected }, :-, -, :?, ?, :+ or +`);
    return '';
  }
  const word = rest.slice(op[0].length);
  // With the colon an empty value counts as unset.
  const isSet = op[1] === ':' ? current !== undefined && current !== '' : current !== undefined;
  switch (op[2]) {
    case '-':
      return isSet ? current! : expand(word, lookup, out);
    case '+':
      return isSet ? expand(word, lookup, out) : '';
    default: {
      if (isSet) return current!;
      const message = expand(word, lookup, out);
      out.errors.push(message !== '' ? `${name}: ${message}` : `${name} is required but ${current === undefined ? 'not set' : 'empty'}`);
      return '';
    }
  }
}
