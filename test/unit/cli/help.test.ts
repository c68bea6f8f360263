import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bin } from '../../integration/daemon/helpers.js';
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

  it('corral --help: every description, and every continuation line, starts in one column', () => {
    const out = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    const columns = new Map<string, number>();
    for (const line of out.split('\n')) {
      const entry = /^ {2}(\S(?:.*?\S)?) {2,}(\S.*)$/.exec(line);
      if (entry) columns.set(entry[1]!, line.indexOf(entry[2]!, 2 + entry[1]!.length));
      else if (/^ {4,}\S/.test(line)) columns.set(line.trim(), line.search(/\S/));
    }
    expect(columns.size).toBeGreaterThan(20);
    expect([...columns].filter(([, col]) => col !== 30)).toEqual([]);
  });
});
