import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/schema/errors.js';

describe('error codes', () => {
  it('docs/errors.md lists every code of the table, with the same meaning, and no other', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| ([A-Z]{2,3}\d{3}) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]!.trim()]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_CODES);
  });
});
