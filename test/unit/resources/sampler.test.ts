import { describe, expect, it } from 'vitest';
import { parseProcStat, type ProcStat } from '../../../src/resources/proc-stat.js';
import { createTreeSampler } from '../../../src/resources/sampler.js';

function blank(): ProcStat {
  return { pid: 0, ppid: 0, pgid: 0, ticks: 0, childTicks: 0, start: 0, rssPages: 0 };
}

/** A stat line as the kernel writes it (fields 1..24 and a few more). */
function statLine(p: { pid: number; comm?: string; ppid: number; pgid: number; utime: number; stime: number; cutime?: number; start?: number; rss: number }): string {
  const f = [
    String(p.pid), `(${p.comm ?? 'node'})`, 'S', String(p.ppid), String(p.pgid), '1', '0', '-1', '4194560',
    '100', '0', '0', '0', String(p.utime), String(p.stime), String(p.cutime ?? 0), '4', '20', '0', '1', '0', String(p.start ?? 1000), '123456', String(p.rss),
    '18446744073709551615', '1', '1', '0',
  ];
  return `${f.join(' ')}\n`;
}

describe('parseProcStat', () => {
  it('reads ppid, pgid, ticks, start and rss', () => {
    const buf = Buffer.from(statLine({ pid: 42, ppid: 7, pgid: 40, utime: 120, stime: 30, cutime: 6, start: 98765, rss: 2560 }));
    const out = blank();
    expect(parseProcStat(buf, buf.length, 42, out)).toBe(true);
    expect(out).toEqual({ pid: 42, ppid: 7, pgid: 40, ticks: 150, childTicks: 10, start: 98765, rssPages: 2560, state: 'S'.charCodeAt(0) });
  });

  it('survives a command name with spaces and parentheses', () => {
    const buf = Buffer.from(statLine({ pid: 5, comm: 'a) b (c))', ppid: 1, pgid: 5, utime: 1, stime: 2, rss: 3 }));
    const out = blank();
    expect(parseProcStat(buf, buf.length, 5, out)).toBe(true);
    expect(out).toMatchObject({ ppid: 1, pgid: 5, ticks: 3, rssPages: 3 });
  });

  it('rejects a truncated line', () => {
    const buf = Buffer.from('5 (x) S 1 5 1 0');
    expect(parseProcStat(buf, buf.length, 5, blank())).toBe(false);
  });
});

interface FakeProc {
  pid: number;
  ppid: number;
  pgid: number;
  ticks: number;
  rss: number;
  start?: number;
  childTicks?: number;
}

/** A sampler over an in-memory process table, with a clock the test moves. */
function fakeSampler(table: FakeProc[]) {
  let time = 0;
  const vanishing = new Set<number>();
  const sampler = createTreeSampler({
    clockTicks: 100,
    pageSize: 4096,
    now: () => time,
    listPids: () => ['self', 'cpuinfo', ...table.map((p) => String(p.pid))],
    readStat: (pid, out) => {
      const p = table.find((x) => x.pid === pid);
      if (!p || vanishing.has(pid)) return false;
      Object.assign(out, { pid, ppid: p.ppid, pgid: p.pgid, ticks: p.ticks, childTicks: p.childTicks ?? 0, start: p.start ?? 1, rssPages: p.rss });
      return true;
    },
  });
  return { sampler, advance: (ms: number) => (time += ms), vanishing };
}

describe('createTreeSampler (tree logic)', () => {
  // 100 = component A's group leader; 101 its child; 102 grandchild (own group, via ancestry);
  // 103 in A's group but reparented to 1; 200 = B; 300 = the daemon, parent of 100 and 200; 301 its helper.
  const MiBPages = 256;
  const table: FakeProc[] = [
    { pid: 1, ppid: 0, pgid: 1, ticks: 0, rss: MiBPages },
    { pid: 300, ppid: 1, pgid: 300, ticks: 0, rss: 10 * MiBPages },
    { pid: 301, ppid: 300, pgid: 300, ticks: 0, rss: MiBPages },
    { pid: 100, ppid: 300, pgid: 100, ticks: 0, rss: MiBPages },
    { pid: 101, ppid: 100, pgid: 100, ticks: 0, rss: 2 * MiBPages },
    { pid: 102, ppid: 101, pgid: 102, ticks: 0, rss: 4 * MiBPages },
    { pid: 103, ppid: 1, pgid: 100, ticks: 0, rss: 8 * MiBPages },
    { pid: 200, ppid: 300, pgid: 200, ticks: 0, rss: 16 * MiBPages },
  ];
  const roots = new Map([
    ['a', [100]],
    ['b', [200]],
    ['corral', [300]],
    ['gone', [999]],
  ]);

  it('sums each tree: group members, descendants, reparented group members; nearest root wins', () => {
    const { sampler } = fakeSampler(table);
    const s = sampler.sample(roots);
    expect(s.get('a')).toEqual({ cpu_percent: 0, memory_mb: 15, pids: [100, 101, 102, 103] });
    expect(s.get('b')).toMatchObject({ memory_mb: 16, pids: [200] });
    expect(s.get('corral')).toMatchObject({ memory_mb: 11, pids: [300, 301] });
    expect(s.get('gone')).toEqual({ cpu_percent: 0, memory_mb: 0, pids: [] });
  });

  it('computes cpu from tick deltas over elapsed time, counting new pids and ignoring vanished ones', () => {
    const rows = table.map((p) => ({ ...p }));
    const { sampler, advance, vanishing } = fakeSampler(rows);
    sampler.sample(roots);
    advance(2000);
    // a's tree used 150 ticks in 2 s = 75% of a core; b 400 ticks = 200% (two cores).
    rows.find((p) => p.pid === 101)!.ticks += 100;
    rows.find((p) => p.pid === 102)!.ticks += 50;
    rows.find((p) => p.pid === 200)!.ticks += 400;
    let s = sampler.sample(roots);
    expect(s.get('a')!.cpu_percent).toBe(75);
    expect(s.get('b')!.cpu_percent).toBe(200);
    expect(s.get('corral')!.cpu_percent).toBe(0);

    advance(1000);
    // A new child of a, started since the last pass, is charged all of its 30 ticks; 103 vanishes mid-read.
    rows.push({ pid: 104, ppid: 100, pgid: 100, ticks: 30, rss: 0, start: 2000 });
    vanishing.add(103);
    s = sampler.sample(roots);
    expect(s.get('a')).toMatchObject({ cpu_percent: 30, pids: [100, 101, 102, 104] });

    advance(1000);
    // 104 exits, is reaped by 100 (whose child ticks take its 30), and its pid is reused by a new child:
    // only the new process's 5 ticks are new.
    rows.find((p) => p.pid === 100)!.childTicks = 30;
    const reused = rows.find((p) => p.pid === 104)!;
    reused.ticks = 5;
    reused.start = 3000;
    s = sampler.sample(roots);
    expect(s.get('a')!.cpu_percent).toBe(5);
  });

  it('counts what reaped children used: a short-lived child, and the last ticks of one that exited', () => {
    const rows = table.map((p) => ({ ...p }));
    const { sampler, advance } = fakeSampler(rows);
    sampler.sample(roots);
    advance(1000);
    // 101 (a's member, parent 100) used 50 ticks, and 100 reaped a command that lived within the interval and used 20.
    rows.find((p) => p.pid === 101)!.ticks += 50;
    rows.find((p) => p.pid === 100)!.childTicks = 20;
    expect(sampler.sample(roots).get('a')!.cpu_percent).toBe(70);
    advance(1000);
    // 101 used 10 more ticks, then exited and was reaped by 100: 100's child ticks grow by all 60
    // of 101's own ticks and by the 0 of its reaped children; only the last 10 are new.
    const gone = rows.findIndex((p) => p.pid === 101);
    rows.splice(gone, 1);
    // 102, 101's child, is reparented to init (its group is its own, so it leaves a's tree through ancestry).
    rows.find((p) => p.pid === 102)!.ppid = 1;
    rows.find((p) => p.pid === 100)!.childTicks = 20 + 60;
    const s = sampler.sample(roots).get('a')!;
    expect(s.pids).toEqual([100, 103]);
    expect(s.cpu_percent).toBe(10);
  });

  it('a process that joins a tree later is charged from then on, not for its whole life', () => {
    const rows = table.map((p) => ({ ...p, ticks: 500 }));
    const { sampler, advance } = fakeSampler(rows);
    const justA = new Map([['a', [100]]]);
    sampler.sample(justA);
    advance(1000);
    expect(sampler.sample(justA).get('a')!.cpu_percent).toBe(0);
    // Adopting b (an old process, read before but outside every tree): no baseline yet, so 0 this pass.
    advance(1000);
    const both = new Map([['a', [100]], ['b', [200]]]);
    expect(sampler.sample(both).get('b')!.cpu_percent).toBe(0);
    advance(1000);
    rows.find((p) => p.pid === 200)!.ticks += 20;
    expect(sampler.sample(both).get('b')!.cpu_percent).toBe(20);
  });

  it('skips known outsiders while the roots are unchanged, and rescans them periodically', () => {
    const reads: number[] = [];
    const rows = table.map((p) => ({ ...p }));
    const sampler = createTreeSampler({
      clockTicks: 100,
      pageSize: 4096,
      fullScanEvery: 3,
      listPids: () => rows.map((p) => String(p.pid)),
      readStat: (pid, out) => {
        reads.push(pid);
        const p = rows.find((x) => x.pid === pid)!;
        Object.assign(out, { pid, ppid: p.ppid, pgid: p.pgid, ticks: p.ticks, start: 1, rssPages: p.rss });
        return true;
      },
    });
    const justB = new Map([['b', [200]]]);
    sampler.sample(justB);
    expect(reads).toHaveLength(rows.length);
    reads.length = 0;
    sampler.sample(justB);
    // Only b's member and nothing else: every other pid was outside.
    expect(reads).toEqual([200]);
    reads.length = 0;
    // A new pid is always read, and found in a tree through its group.
    rows.push({ pid: 201, ppid: 1, pgid: 200, ticks: 0, rss: 256 });
    expect(sampler.sample(justB).get('b')!.pids).toEqual([200, 201]);
    expect(reads).toEqual([200, 201]);
    reads.length = 0;
    // Pass 4 is a full rescan (every 3rd).
    sampler.sample(justB);
    expect(reads).toHaveLength(rows.length);
    reads.length = 0;
    // A change of roots reads everything again.
    sampler.sample(new Map([['a', [100]]]));
    expect(reads).toHaveLength(rows.length);
  });

  it('ancestry wins over the group: a component started inside the daemon group keeps its children', () => {
    const { sampler } = fakeSampler([
      { pid: 300, ppid: 1, pgid: 300, ticks: 0, rss: 256 },
      { pid: 400, ppid: 300, pgid: 300, ticks: 0, rss: 256 },
      { pid: 401, ppid: 400, pgid: 300, ticks: 0, rss: 256 },
      // The daemon's own helper, and an orphan of its group.
      { pid: 302, ppid: 300, pgid: 300, ticks: 0, rss: 256 },
      { pid: 303, ppid: 1, pgid: 300, ticks: 0, rss: 256 },
    ]);
    const s = sampler.sample(new Map([['corral', [300]], ['c', [400]]]));
    expect(s.get('c')!.pids).toEqual([400, 401]);
    expect(s.get('corral')!.pids).toEqual([300, 302, 303]);
  });

  it('with no roots returns an empty map', () => {
    const { sampler } = fakeSampler(table);
    expect(sampler.sample(new Map()).size).toBe(0);
  });
});

describe('createTreeSampler (no new process since the last pass)', () => {
  it('skips listing /proc while the last pid stays the same, and lists again when it moves', () => {
    const table: FakeProc[] = [
      { pid: 1, ppid: 0, pgid: 1, ticks: 0, rss: 1 },
      { pid: 100, ppid: 1, pgid: 100, ticks: 0, rss: 256 },
      { pid: 101, ppid: 100, pgid: 100, ticks: 0, rss: 256 },
    ];
    let listings = 0;
    let last = 101;
    const sampler = createTreeSampler({
      clockTicks: 100,
      pageSize: 4096,
      now: () => 0,
      fullScanEvery: 1000,
      lastPid: () => last,
      listPids: () => {
        listings++;
        return table.map((p) => String(p.pid));
      },
      readStat: (pid, out) => {
        const p = table.find((x) => x.pid === pid);
        if (!p) return false;
        Object.assign(out, { pid, ppid: p.ppid, pgid: p.pgid, ticks: p.ticks, childTicks: 0, start: 1, rssPages: p.rss });
        return true;
      },
    });
    const roots = new Map([['a', [100]]]);
    expect(sampler.sample(roots).get('a')!.pids).toEqual([100, 101]);
    expect(listings).toBe(1);
    // Same last pid: the members are read again (their memory grows) without a listing.
    table[2]!.rss = 512;
    const quiet = sampler.sample(roots).get('a')!;
    expect(listings).toBe(1);
    expect(quiet.pids).toEqual([100, 101]);
    expect(quiet.memory_mb).toBe(3);
    // A member that exited is gone from the tree without a listing too.
    table.splice(2, 1);
    expect(sampler.sample(roots).get('a')!.pids).toEqual([100]);
    expect(listings).toBe(1);
    // A new process (the last pid moved): listed, and counted.
    table.push({ pid: 102, ppid: 100, pgid: 100, ticks: 0, rss: 256 });
    last = 102;
    expect(sampler.sample(roots).get('a')!.pids).toEqual([100, 102]);
    expect(listings).toBe(2);
  });

  it('readLastPid reads the newest pid: a process started after it is at or above it', async () => {
    const { readLastPid } = await import('../../../src/resources/sampler.js');
    const { spawnSync } = await import('node:child_process');
    const before = readLastPid();
    expect(before).toBeGreaterThan(0);
    const child = spawnSync('/bin/sh', ['-c', 'echo $$'], { encoding: 'utf8' });
    const after = readLastPid()!;
    expect(after).toBeGreaterThanOrEqual(Number(child.stdout.trim()));
    expect(after).not.toBe(before);
  });
});
