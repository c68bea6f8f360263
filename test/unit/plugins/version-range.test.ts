import { describe, expect, it } from 'vitest';
import { parseRange, satisfies } from '../../../src/plugins/version-range.js';

describe('corral version ranges in plugin metadata', () => {
  const cases: Array<[string, string, boolean]> = [
    ['0.1.0', '>=0.1.0', true],
    ['0.1.0', '>=0.2.0', false],
    ['0.1.0', '>= 0.1.0 <1.0.0', true],
    ['1.0.0', '>=0.1.0 <1.0.0', false],
    ['0.1.5', '^0.1.0', true],
    ['0.2.0', '^0.1.0', false],
    ['1.9.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['0.7.1', '0.x', true],
    ['1.0.0', '0.x', false],
    ['3.4.5', '*', true],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '=1.2.3', false],
    ['2.5.0', '1.x || >=2.4.0', true],
    ['2.3.0', '1.x || >=2.4.0', false],
    ['1.0.0-rc.1', '>=1.0.0', false],
    ['1.0.0', '>0.9', true],
    ['0.9.5', '>0.9', false],
    ['0.9.5', '<=0.9', true],
  ];
  it.each(cases)('%s in "%s" is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('refuses what is not a range or not a version, saying which', () => {
    expect(parseRange('latest')).toBeNull();
    expect(parseRange('>=1.2.3.4')).toBeNull();
    expect(() => satisfies('0.1.0', 'soon')).toThrow('"soon" is not a version range');
    expect(() => satisfies('one', '*')).toThrow('"one" is not a version');
  });
});
