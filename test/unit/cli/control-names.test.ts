import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../../src/cli/control.js';
import { pluginLabel } from '../../../src/cli/format.js';

describe('corral start|stop|restart names', () => {
  const components = [
    { name: 'a', state: 'running' as const },
    { name: 'b', state: 'stopped' as const },
    { name: 'off', state: 'disabled' as const },
  ];
  it('`all` is every enabled component; each name once, in order', () => {
    expect(resolveNames(['all'], components)).toEqual(['a', 'b']);
    expect(resolveNames(['b', 'all', 'b'], components)).toEqual(['b', 'a']);
    expect(resolveNames(['off', 'nosuch'], components)).toEqual(['off', 'nosuch']);
  });
  it('a component named `all` is that one', () => {
    expect(resolveNames(['all'], [...components, { name: 'all', state: 'running' }])).toEqual(['all']);
  });
});

describe('the PLUGIN column', () => {
  it('shows a plugin given by path by its name', () => {
    expect(pluginLabel('process')).toBe('process');
    expect(pluginLabel('../plugins/http-echo')).toBe('http-echo');
    expect(pluginLabel('./plugins/http-echo/')).toBe('http-echo');
    expect(pluginLabel('./plugins/http-echo/index.mjs')).toBe('http-echo');
    expect(pluginLabel('/opt/x/greeter.js')).toBe('greeter');
    expect(pluginLabel('greeter.mjs')).toBe('greeter');
  });
});
