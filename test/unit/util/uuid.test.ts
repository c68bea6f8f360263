import { describe, expect, it } from 'vitest';
import { hookEventUuid } from '../../../src/cli/hook.js';
import { uuid, uuidv7 } from '../../../src/util/uuid.js';

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

describe('uuidv7', () => {
  it('gives version-7 UUIDs whose first 48 bits are the time in ms, all different within one millisecond', () => {
    const ms = Date.UTC(2026, 11, 7, 21, 40, 0, 123);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = uuidv7(ms);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it('sorts by time as text (the store indexes ids: later ones go at its end), and leaves uuid() as it was', () => {
    const ids = [0, 1, 255, 256, 65_536, 2 ** 32 - 1, 2 ** 32, Date.now(), 2 ** 48 - 1].map((ms) => uuidv7(ms));
    expect([...ids].sort()).toEqual(ids);
    expect(parseInt(ids[5]!.slice(0, 8) + ids[5]!.slice(9, 13), 16)).toBe(2 ** 32 - 1);
    expect(parseInt(ids[8]!.slice(0, 8) + ids[8]!.slice(9, 13), 16)).toBe(2 ** 48 - 1);
    // uuid() and uuidv7() write into text buffers of their own.
    const v4 = uuid();
    uuidv7(0);
    expect(v4.charAt(14)).toBe('4');
    expect(uuid().charAt(14)).toBe('4');
    expect(uuidv7().slice(0, 8)).not.toBe('00000000');
  });
});

describe("corral hook's ids (src/cli/hook.ts)", () => {
  it('are version-7 UUIDs with the time in their first 48 bits and random bits after, sorting by time', () => {
    const times = [1, 2 ** 32 - 1, 2 ** 32, Date.UTC(2026, 11, 7), 2 ** 48 - 1];
    const ids = times.map((ms) => hookEventUuid(ms));
    for (const [i, id] of ids.entries()) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(times[i]);
    }
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 500 }, () => hookEventUuid(1000)));
    expect(same.size).toBe(500);
  });
});
