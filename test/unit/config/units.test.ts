import { describe, expect, test } from 'vitest';
import { Duration, Size, parseDuration, parseSize } from '../../../src/config/units.js';

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['250', 250],
    [' 2 S ', 2000],
    [42, 42],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
    expect(Duration.parse(input)).toBe(ms);
  });

  test.each(['10 seconds', '-1s', '1y', '', 's'])('%j is refused with an example', (input) => {
    const result = Duration.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/duration such as 500ms/);
  });

  test('a negative number is refused', () => {
    expect(Duration.safeParse(-5).success).toBe(false);
  });
});

describe('sizes', () => {
  test.each([
    ['512MB', 512 * 1024 ** 2],
    ['512M', 512 * 1024 ** 2],
    ['64KB', 64 * 1024],
    ['64kib', 64 * 1024],
    ['1GB', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['100b', 100],
    ['100', 100],
    [2048, 2048],
  ])('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
    expect(Size.parse(input)).toBe(bytes);
  });

  test.each(['512 megabytes', '1TB', '1ki', 'MB'])('%j is refused with an example', (input) => {
    const result = Size.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/size such as/);
  });
});
