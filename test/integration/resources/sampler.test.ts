import { afterEach, describe, expect, it } from 'vitest';
import { readProcStat } from '../../../src/resources/proc-stat.js';
import { createTreeSampler } from '../../../src/resources/sampler.js';
import { fixture, killAll, startFixture } from './procs.js';
import { waitFor } from '../../helpers/wait-for.js';

afterEach(() => killAll());

describe('tree sampler on real processes', () => {
  it('counts the memory held by grandchildren', async () => {
    // Root -> 2 children -> 4 grandchildren holding 40 MiB each.
    const tree = startFixture(process.execPath, [fixture('tree-memory.js'), '40', '2', '2']);
    await tree.waitLine('ready');
    const sampler = createTreeSampler();
    const s = sampler.sample(new Map([['tree', [tree.pid]]])).get('tree')!;
    expect(s.pids).toHaveLength(7);
    expect(s.pids).toContain(tree.pid);
    expect(s.memory_mb).toBeGreaterThan(4 * 40);
    const own = { pid: 0, ppid: 0, pgid: 0, ticks: 0, childTicks: 0, start: 0, rssPages: 0 };
    expect(readProcStat(tree.pid, own)).toBe(true);
    // The root alone holds far less than the tree.
    expect((own.rssPages * 4096) / 1024 / 1024).toBeLessThan(s.memory_mb / 2);
  });

  it('counts a group member whose parent has exited (reparented)', async () => {
    // The subshell starts a sleep and exits, so that sleep's parent is init (or a subreaper) but its group is ours.
    const sh = startFixture('sh', ['-c', '(sleep 1000 &); echo ready; exec sleep 1000']);
    await sh.waitLine('ready');
    const sampler = createTreeSampler();
    await waitFor('two sleeps in the group', () => sampler.sample(new Map([['sh', [sh.pid]]])).get('sh')!.pids.length === 2);
  });

  it('a spinner shows high cpu, an idle process about none', async () => {
    const spin = startFixture(process.execPath, [fixture('cpu-spin.js')]);
    const idle = startFixture('sleep', ['1000']);
    await spin.waitLine('spinning');
    const sampler = createTreeSampler();
    const roots = new Map([
      ['spin', [spin.pid]],
      ['idle', [idle.pid]],
    ]);
    sampler.sample(roots);
    let last = sampler.sample(roots);
    // Each sample measures since the previous one; poll until a window shows the spinner busy.
    // The bar is low because test machines are shared: a spinner may get a fraction of a core.
    await waitFor(
      'the spinner to show high cpu',
      () => {
        last = sampler.sample(roots);
        return last.get('spin')!.cpu_percent > 10;
      },
      { timeoutMs: 15_000, everyMs: 300 },
    );
    expect(last.get('idle')!.cpu_percent).toBeLessThan(5);
  });

  it('a tree whose processes are gone samples as empty', () => {
    const sampler = createTreeSampler();
    const s = sampler.sample(new Map([['nothing', [2 ** 22 + 7]]]));
    expect(s.get('nothing')).toEqual({ cpu_percent: 0, memory_mb: 0, pids: [] });
  });
});
