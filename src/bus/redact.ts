import { maskPrivateKeys } from './private-key.js';

/** Redaction settings (config `bus.redact`). */
export interface RedactOptions {
  /** Extra regular expressions (source text) whose matches are masked. */
  patterns?: string[];
  /** Size cap of one string field, in UTF-8 bytes. */
  field_max?: number;
}

/** What a masked secret is replaced with. */
export const MASK = '[REDACTED]';

// Secrets recognised by their shape, in one alternation so a string is scanned once.
const DEFAULT_SECRET_SOURCES = [
  String.raw`sk-ant-[A-Za-z0-9_-]{10,}`,
  String.raw`sk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{20,}`,
  String.raw`github_pat_[A-Za-z0-9_]{20,}`,
  String.raw`xox[abposr]-[A-Za-z0-9-]{10,}`,
  String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
  String.raw`\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}`,
];
// Every pattern above is a literal prefix and one character class run: linear in
// the string. Private keys (a BEGIN … END pair) are masked by a scan, private-key.ts.
const DEFAULT_SECRETS = new RegExp(DEFAULT_SECRET_SOURCES.join('|'), 'g');

// A cheap test on the serialised event: when none of these substrings occur
// (and no extra pattern matches), nothing can need masking and the walk is skipped.
const SUSPICIOUS = /sk-|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|bearer|pass|pwd|secret|token|api.?key|authorization|private|credential|cookie/i;

// Keys whose string values are secrets whatever they look like. camelCase is
// split first, so `apiKey` and `accessToken` match; `input_tokens` does not.
const SECRET_KEY = /(?:^|[_\-. ])(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|private[_-]?key|credentials?|cookie)$/i;

/** True when a value under this key is a secret by name. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2'));
}

/** A compiled redactor; `redact` returns the input itself when nothing changed. */
export interface Redactor {
  /** Redacts a value already serialised as `json`; returns the same object when nothing needs changing. */
  redact<T>(value: T, json: string): T;
  /** Redacts a value (serialises it first to decide whether a walk is needed). */
  redactValue<T>(value: T): T;
  /** Masks secrets in one string and applies the size cap. */
  redactString(s: string): string;
}

/** Compiles the extra patterns (config `bus.redact.patterns`); an invalid one is an error naming it. */
export function compileRedactPatterns(patterns: string[]): RegExp[] {
  return patterns.map((source, i) => {
    try {
      return new RegExp(source, 'g');
    } catch (err) {
      throw new Error(`bus.redact.patterns[${i}]: invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  });
}

const MARKER = /…\[truncated (\d+) bytes\]$/;

/**
 * Cuts `s` to at most `max` UTF-8 bytes and appends a marker saying how much
 * was dropped. A string already cut (a hook body cut to fit, then the bus's
 * per-field cap) is cut once: its text is measured without the marker, and a
 * second cut adds to the first marker's count, so the marker always gives
 * what was dropped from the original.
 */
export function truncateString(s: string, max: number): string {
  const cut = cutString(s, max);
  return cut ? cut.kept + cut.marker : s;
}

/**
 * truncateString in two parts: the text kept and the marker to append, or
 * null when `s` fits. The redactor masks the kept text alone (a key cut in
 * half is still masked), then appends the marker.
 */
export function cutString(s: string, max: number): { kept: string; marker: string } | null {
  // The regex only where a marker can be: it would otherwise scan a long string for its start.
  const marker = s.endsWith(' bytes]') ? MARKER.exec(s) : null;
  const text = marker ? s.slice(0, marker.index) : s;
  const before = marker ? Number(marker[1]) : 0;
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return null;
  // Every character is at least one byte: the first `max` characters hold the first `max` bytes (no copy of a long text).
  let kept = Buffer.from(text.length > max ? text.slice(0, max) : text).subarray(0, max).toString('utf8');
  // A multi-byte character cut in half decodes as U+FFFD: drop it.
  if (kept.endsWith('\uFFFD') && !text.startsWith(kept)) kept = kept.slice(0, -1);
  const dropped = bytes - Buffer.byteLength(kept) + before;
  return { kept, marker: `…[truncated ${dropped} bytes]` };
}

function maskMatch(match: string): string {
  const bearer = /^[Bb]earer\s+/.exec(match);
  return bearer ? `${bearer[0]}${MASK}` : MASK;
}

/** Builds a redactor: default secret patterns, the configured extra ones, and the per-field cap. */
export function createRedactor(options: RedactOptions = {}): Redactor {
  const extra = compileRedactPatterns(options.patterns ?? []);
  const fieldMax = options.field_max ?? 64 * 1024;

  // The cap comes first: every pattern then runs over at most `fieldMax` bytes,
  // so no string a client sends can make a pattern (a configured one included) run long.
  function redactString(s: string): string {
    // bytes >= chars, and bytes <= 3 * chars: only measure when it can matter.
    const cut = s.length * 3 > fieldMax ? cutString(s, fieldMax) : null;
    const text = cut ? cut.kept : s;
    let out = text;
    if (SUSPICIOUS.test(out)) out = maskPrivateKeys(out, MASK, cut !== null).replace(DEFAULT_SECRETS, maskMatch);
    for (const re of extra) {
      re.lastIndex = 0;
      out = out.replace(re, MASK);
    }
    if (!cut) {
      if (out === text) return s;
      // A mask can be longer than what it replaced ("Bearer abcdefgh"): the cap still holds.
      return out.length * 3 > fieldMax ? truncateString(out, fieldMax) : out;
    }
    const joined = out + cut.marker;
    return out.length * 3 > fieldMax ? truncateString(joined, fieldMax) : joined;
  }

  function walk(value: unknown, key: string | null): unknown {
    if (typeof value === 'string') {
      if (key !== null && isSecretKey(key) && value !== '') return MASK;
      return redactString(value);
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const v = walk(value[i], null);
        if (v !== value[i]) {
          copy ??= value.slice();
          copy[i] = v;
        }
      }
      return copy ?? value;
    }
    let copy: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const r = walk(v, k);
      if (r !== v) {
        copy ??= { ...(value as Record<string, unknown>) };
        copy[k] = r;
      }
    }
    return copy ?? value;
  }

  function needsWalk(json: string): boolean {
    if (SUSPICIOUS.test(json)) return true;
    for (const re of extra) {
      re.lastIndex = 0;
      if (re.test(json)) return true;
    }
    // The whole text's byte length bounds every field's.
    return json.length * 3 > fieldMax && Buffer.byteLength(json) > fieldMax;
  }

  return {
    redact<T>(value: T, json: string): T {
      return needsWalk(json) ? (walk(value, null) as T) : value;
    },
    redactValue<T>(value: T): T {
      return walk(value, null) as T;
    },
    redactString,
  };
}
