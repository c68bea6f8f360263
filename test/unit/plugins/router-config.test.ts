import { describe, expect, it } from 'vitest';
import { diffRoutes } from '../../../plugins/claude-router/router-config.js';
import { findExecutable, programOf } from '../../../plugins/claude-router/find-executable.js';

describe('diffRoutes', () => {
  it('reports each changed route, default first, with provider and model split', () => {
    expect(diffRoutes({ think: 'a,x', default: 'a,y' }, { think: 'b,z', default: 'a,y2' })).toEqual([
      { route: 'default', from: 'a,y', to: 'a,y2', provider: 'a', model: 'y2', reason: 'config_changed' },
      { route: 'think', from: 'a,x', to: 'b,z', provider: 'b', model: 'z', reason: 'config_changed' },
    ]);
    expect(diffRoutes({ default: 'a,b' }, { default: 'a,b' })).toEqual([]);
  });

  it('names a file that appeared or went away', () => {
    expect(diffRoutes(null, { default: 'p,m' })).toEqual([{ route: 'default', from: null, to: 'p,m', provider: 'p', model: 'm', reason: 'config_created' }]);
    expect(diffRoutes({ default: 'p,m' }, null)).toEqual([{ route: 'default', from: 'p,m', to: null, provider: null, model: null, reason: 'config_removed' }]);
  });
});

describe('programOf / findExecutable', () => {
  it('finds the program of a command line or argv, on PATH or by path', () => {
    expect(programOf('ccr start')).toBe('ccr');
    expect(programOf('"/opt/my router/ccr" start')).toBe('/opt/my router/ccr');
    expect(programOf(['node', 'x.js'])).toBe('node');
    expect(findExecutable('node', process.env.PATH, '/')).toBeTruthy();
    expect(findExecutable('ccr-surely-not-installed', '/nonexistent', '/')).toBeNull();
    expect(findExecutable(process.execPath, '', '/')).toBe(process.execPath);
  });
});
