import { describe, expect, it } from 'vitest';
import { maskPrivateKeys } from '../../../src/bus/private-key.js';

const key = (kind = '') => `-----BEGIN ${kind}PRIVATE KEY-----\nMIIabc\n-----END ${kind}PRIVATE KEY-----`;

describe('maskPrivateKeys', () => {
  it('masks each BEGIN…END pair, with any kind, and keeps the text around', () => {
    expect(maskPrivateKeys(`a ${key()} b ${key('RSA ')} c`, 'M')).toBe('a M b M c');
    expect(maskPrivateKeys(`${key('OPENSSH ')}`, 'M')).toBe('M');
  });

  it('leaves a string without a complete key as the same string', () => {
    const s = 'no key here -----END PRIVATE KEY----- -----BEGIN PRIVATE KEY----- unterminated';
    expect(maskPrivateKeys(s, 'M')).toBe(s);
  });

  it('an END that is not a key END does not close the key', () => {
    expect(maskPrivateKeys('-----BEGIN PRIVATE KEY-----x-----END nope-----y-----END PRIVATE KEY-----z', 'M')).toBe('Mz');
  });

  it('open-ended (the string was cut): a key begun and not ended is masked to the end', () => {
    expect(maskPrivateKeys(`${key()} then -----BEGIN PRIVATE KEY-----\nMIIhalf`, 'M', true)).toBe('M then M');
  });

  it('a megabyte of BEGIN lines with no END is one linear pass (the lazy pattern it replaced took tens of seconds)', () => {
    const s = '-----BEGIN PRIVATE KEY-----'.repeat(40_000);
    expect(maskPrivateKeys(s, 'M')).toBe(s);
    expect(maskPrivateKeys(s, 'M', true)).toBe('M');
  });
});
