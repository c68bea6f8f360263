import { describe, expect, it } from 'vitest';
import { uuid } from '../../../src/util/uuid.js';

describe('uuid', () => {
  it('gives version-4 UUIDs in lower-case text, all different, across refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = uuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it('uses every hex digit in every free position (the bytes are random, not a counter)', () => {
    const digits = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...uuid()].forEach((c, j) => digits[j]!.add(c));
    for (const j of [0, 7, 9, 12, 15, 20, 35]) expect(digits[j]!.size).toBe(16);
    expect([...digits[14]!]).toEqual(['4']);
    expect([...digits[19]!].sort()).toEqual(['8', '9', 'a', 'b']);
  });
});
