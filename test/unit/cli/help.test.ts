import { describe, expect, it } from 'vitest';
import { commandUsage, usageLine } from '../../../src/cli/main.js';

describe('corral COMMAND --help', () => {
  it("prints that command's entry of the usage, continuation lines included", () => {
    const logs = commandUsage('logs');
    expect(logs).toMatch(/^usage: corral logs \[NAME\.\.\.\] \[-f\] \[-n N\] \[-t\]\n\s+captured stdout\/stderr\n/);
    expect(commandUsage('stop')).toMatch(/^usage: corral start\|stop\|restart NAME\.\.\./);
    expect(commandUsage('up')).toContain('-d detaches');
    expect(commandUsage('up')).not.toContain('corral down');
    expect(commandUsage('attach')).toMatch(/^usage: corral attach NAME\[:WINDOW\] .*\n\s+WINDOW: .*by name or index\n/);
  });

  it('lists every option of emit and events, and usageLine is the first line of the entry', () => {
    expect(usageLine('emit')).toBe('usage: corral emit TYPE [--payload JSON|@FILE|-] [--source S] [--session ID] [--json]');
    expect(commandUsage('emit')).toContain('@FILE: the payload read from FILE, -: from stdin');
    expect(usageLine('events')).toBe('usage: corral events [-f] [--type T] [--source S] [--session ID] [--host H] [--since T] [--until T] [-n N] [--json]');
  });

  it('knows ls, list and status as ps', () => {
    for (const alias of ['ls', 'list', 'status']) expect(commandUsage(alias)).toBe(commandUsage('ps'));
    expect(commandUsage('ps')).toMatch(/^usage: corral ps \[NAME\.\.\.\] \[--json\].*\n(.*\n)?\s+\(also: ls, list, status\)\n/);
  });
});
