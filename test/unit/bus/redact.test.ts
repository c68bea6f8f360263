import { describe, expect, test } from 'vitest';
import { createRedactor, isSecretKey, MASK, truncateString } from '../../../src/bus/redact.js';

const r = createRedactor({ field_max: 1024 });

describe('redaction', () => {
  test('masks secrets recognised by their shape', () => {
    const cases = [
      'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv_wxyz-0123',
      'sk-proj-abcdefghijklmnopqrstuvwxyz012345',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'xoxb-123456789012-abcdefghijkl',
      'AKIAIOSFODNN7EXAMPLE',
    ];
    for (const secret of cases) {
      const out = r.redactString(`key is ${secret} here`);
      expect(out, secret).toBe(`key is ${MASK} here`);
    }
    expect(r.redactString('Authorization: Bearer abc.def-ghi_jkl')).toBe(`Authorization: Bearer ${MASK}`);
  });

  test('masks string values under secret-like keys, not counts', () => {
    const value = { password: 'hunter2', nested: { apiKey: 'x1', access_token: 'abc', input_tokens: 120, tokens: 'many', client_secret: 's' } };
    const out = r.redactValue(value);
    expect(out).toEqual({ password: MASK, nested: { apiKey: MASK, access_token: MASK, input_tokens: 120, tokens: 'many', client_secret: MASK } });
    expect(value.password).toBe('hunter2');
    expect(isSecretKey('x-api-key')).toBe(true);
    expect(isSecretKey('session_id')).toBe(false);
  });

  test('leaves a harmless payload as the same object (no copy, no walk)', () => {
    const value = { tool_name: 'Bash', tool_input: { command: 'ls -la' } };
    expect(r.redact(value, JSON.stringify(value))).toBe(value);
  });

  test('extra configured patterns are masked', () => {
    const custom = createRedactor({ patterns: ['internal-[0-9]{4}'] });
    const value = { note: 'id internal-1234 and internal-5678' };
    expect(custom.redact(value, JSON.stringify(value))).toEqual({ note: `id ${MASK} and ${MASK}` });
  });

  test('an invalid extra pattern is an error naming it', () => {
    expect(() => createRedactor({ patterns: ['ok', '(unclosed'] })).toThrow(/bus\.redact\.patterns\[1\].*\(unclosed/);
  });

  test('an overlong field is truncated with a marker saying how much was dropped', () => {
    const value = { transcript: 'a'.repeat(5000), short: 'b' };
    const out = r.redact(value, JSON.stringify(value));
    expect(out.transcript).toBe(`${'a'.repeat(1024)}…[truncated 3976 bytes]`);
    expect(out.short).toBe('b');
  });

  test('a string already cut is cut once: the marker keeps counting from the original', () => {
    const once = truncateString('a'.repeat(10_000), 4096);
    expect(once).toBe(`${'a'.repeat(4096)}…[truncated 5904 bytes]`);
    // Under the cap but for its marker: left as it is, not cut again (which cut the marker off and counted it).
    expect(truncateString(once, 4096)).toBe(once);
    expect(createRedactor({ field_max: 4096 }).redactValue({ f: once }).f).toBe(once);
    // Cut again under a smaller cap: what the second cut drops adds to the first marker's count.
    expect(truncateString(once, 1024)).toBe(`${'a'.repeat(1024)}…[truncated 8976 bytes]`);
  });

  test('truncation does not split a multi-byte character', () => {
    const out = truncateString('é'.repeat(10), 5);
    expect(out).toBe('éé…[truncated 16 bytes]');
  });
});
