import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/plugins/types.js';
import type { LogSink, LogStream } from '../../../src/logs/types.js';
import { runProcess } from '../../../src/runners/process/index.js';
import { createLogSink, readLogTail } from '../../../src/logs/index.js';
import { isProcessRunning, listGroupMembers, signalGroup } from '../../../src/runners/process/group.js';
import { waitFor } from '../../helpers/wait-for.js';

const fixtures = new URL('../../fixtures/', import.meta.url).pathname;
const started: Instance[] = [];

afterEach(async () => {
  // Kill every group a test started, even when it failed half-way.
  for (const inst of started.splice(0)) {
    if (inst.pid) signalGroup(inst.pid, 'SIGKILL');
    await inst.exited;
  }
});

async function start(opts: Parameters<typeof runProcess>[0]): Promise<Instance> {
  const inst = await runProcess(opts);
  started.push(inst);
  return inst;
}

/** An in-memory sink that keeps whole lines per stream. */
function memorySink() {
  const text: Record<LogStream, string> = { out: '', err: '' };
  const waiters: Array<() => void> = [];
  const sink: LogSink & { text: typeof text; waitFor(re: RegExp): Promise<string> } = {
    path: '',
    dropped: 0,
    text,
    write(stream, chunk) {
      text[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const w of waiters.splice(0)) w();
    },
    flush() {},
    async close() {},
    async waitFor(re) {
      for (;;) {
        const m = re.exec(text.out + text.err);
        if (m) return m[0];
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
  return sink;
}

/** Pids of the children of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (list) out.push(...list.split(/\s+/).map(Number));
  }
  return out;
}

describe('runProcess', () => {
  it('a process that left the group (setsid) and whose parent exited holds the output pipes: it does not hold up the stop; our ends are closed and the log says so', async () => {
    const logs = memorySink();
    // The escaped process says its pid first, so the test can end it. Its parent (the subshell)
    // exits at once, so no parent chain leads from the component to it any more.
    const inst = await start({ name: 'esc', command: `(setsid sh -c 'echo escaped $$; exec sleep 1000' &); sleep 1000`, shell: true, logs });
    const escaped = Number((await logs.waitFor(/escaped \d+/)).split(' ')[1]);
    try {
      const info = await inst.stop('SIGTERM', 5000);
      expect(info.killed).toBe(false);
      expect(logs.text.err).toMatch(/a process that left it \(setsid\?\) still holds its output; no longer logged/);
      expect(isProcessRunning(escaped)).toBe(true);
    } finally {
      process.kill(escaped, 'SIGKILL');
    }
  });

  it('a stop also ends the processes that left the group (setsid) while their parent is still in the tree, and the groups they lead', async () => {
    const logs = memorySink();
    // One escapee leads a group with a child of its own; the leader stays their parent.
    const inst = await start({
      name: 'esc2',
      command: `setsid sh -c 'sleep 1000 & echo escaped $$ $!; wait' & sleep 1000`,
      shell: true,
      logs,
    });
    const [escaped, grandchild] = (await logs.waitFor(/escaped \d+ \d+/)).split(' ').slice(1).map(Number) as [number, number];
    try {
      const info = await inst.stop('SIGTERM', 5000);
      expect(info.killed).toBe(false);
      expect(isProcessRunning(escaped)).toBe(false);
      expect(isProcessRunning(grandchild)).toBe(false);
    } finally {
      for (const pid of [escaped, grandchild]) if (isProcessRunning(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('an escapee that ignores the stop signal is SIGKILLed after the stop timeout, and the stop says it killed', async () => {
    const logs = memorySink();
    const inst = await start({
      name: 'esc3',
      command: `setsid sh -c 'trap "" TERM; echo escaped $$; while :; do sleep 1; done' & sleep 1000`,
      shell: true,
      logs,
    });
    const escaped = Number((await logs.waitFor(/escaped \d+/)).split(' ')[1]);
    try {
      const info = await inst.stop('SIGTERM', 300);
      expect(info.killed).toBe(true);
      expect(isProcessRunning(escaped)).toBe(false);
    } finally {
      if (isProcessRunning(escaped)) process.kill(escaped, 'SIGKILL');
    }
  });

  it('runs an argv array and reports the exit code', async () => {
    const inst = await start({ name: 'crash', command: ['node', join(fixtures, 'crash-immediately.js'), '3'] });
    expect(inst.pid).toBeGreaterThan(0);
    expect(inst.pids()).toEqual([inst.pid]);
    const info = await inst.exited;
    expect(info).toMatchObject({ code: 3, signal: null, killed: false });
  });

  it('makes the child the leader of its own process group', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'g', command: ['node', join(fixtures, 'ignore-sigterm.js')], logs });
    await logs.waitFor(/ready/);
    const pgid = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(inst.pid)], { encoding: 'utf8' }).trim());
    expect(pgid).toBe(inst.pid);
    expect(pgid).not.toBe(process.pid);
  });

  it('splits a string command without a shell, respecting quotes', async () => {
    const logs = memorySink();
    const inst = await start({ name: 's', command: `node -e "console.log('a b')"`, logs });
    await inst.exited;
    expect(logs.text.out).toBe('a b\n');
  });

  it('runs a string through the shell when shell is true', async () => {
    const logs = memorySink();
    const inst = await start({ name: 's', command: 'echo one && echo "$FOO"', shell: true, env: { FOO: 'two' }, logs });
    await inst.exited;
    expect(logs.text.out).toBe('one\ntwo\n');
  });

  it('passes cwd and merges env over the parent environment', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'corral-run-')));
    try {
      const logs = memorySink();
      process.env.CORRAL_TEST_INHERITED = 'yes';
      const inst = await start({
        name: 'e',
        command: ['node', join(fixtures, 'print-env.js'), 'FOO'],
        cwd: dir,
        env: { FOO: 'bar' },
        logs,
      });
      await inst.exited;
      expect(JSON.parse(logs.text.out)).toEqual({ cwd: dir, env: 'bar', argv: ['FOO'] });
      const logs2 = memorySink();
      await (await start({ name: 'e', command: ['node', join(fixtures, 'print-env.js'), 'CORRAL_TEST_INHERITED'], logs: logs2 })).exited;
      expect(JSON.parse(logs2.text.out).env).toBe('yes');
    } finally {
      delete process.env.CORRAL_TEST_INHERITED;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends stdout and stderr to the sink', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'p', command: ['node', join(fixtures, 'print-lines.js'), '3'], logs });
    expect(await inst.exited).toMatchObject({ code: 0 });
    expect(logs.text.out).toBe('line out 1\nline out 2\nline out 3\n');
    expect(logs.text.err).toBe('line err 1\nline err 2\nline err 3\n');
  });

  it('writes output to a real log sink, flushed by the time exited settles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-run-logs-'));
    try {
      const logs = createLogSink({ dir, name: 'p' });
      const inst = await start({ name: 'p', command: ['node', '-e', 'process.stdout.write("a\\nno newline")'], logs });
      await inst.exited;
      await logs.close();
      expect(readLogTail(dir, 'p', 10).map((l) => l.text)).toEqual(['a', 'no newline']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects with the OS error when the command does not exist', async () => {
    const err = await runProcess({ name: 'nope', command: 'corral-no-such-program --flag' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((err as Error).message).toMatch(/spawn corral-no-such-program ENOENT/);
  });

  it('rejects naming the cwd, not the program, when the cwd does not exist or is a file', async () => {
    const err = await runProcess({ name: 'nope', command: ['node', '-v'], cwd: '/nonexistent/corral' }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((err as Error).message).toBe('cwd /nonexistent/corral does not exist');
    const file = join(fixtures, 'print-lines.js');
    await expect(runProcess({ name: 'nope', command: ['node', '-v'], cwd: file })).rejects.toThrow(`cwd ${file} is not a directory`);
  });

  it('rejects a command with an unterminated quote, naming the component', async () => {
    await expect(runProcess({ name: 'bad', command: 'node -e "x' })).rejects.toThrow(/component "bad": command has an unterminated/);
  });

  it('stop kills the whole group: no grandchild is left', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'gc', command: ['sh', join(fixtures, 'spawn-grandchildren.sh')], logs });
    await logs.waitFor(/children \d+/);
    const kids = childrenOf(inst.pid!);
    expect(kids.length).toBe(2);
    const info = await inst.stop('SIGTERM', 5000);
    // sh is killed by SIGTERM while waiting; the sleeps die with the group.
    expect(info.signal).toBe('SIGTERM');
    expect(info.killed).toBe(false);
    for (const pid of kids) expect(isProcessRunning(pid)).toBe(false);
    expect(listGroupMembers(inst.pid!)).toEqual([]);
  });

  it('SIGKILLs a SIGTERM-ignorer after the timeout and reports killed', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'stubborn', command: ['node', join(fixtures, 'ignore-sigterm.js')], logs });
    await logs.waitFor(/ready/);
    const info = await inst.stop('SIGTERM', 300);
    expect(info).toMatchObject({ code: null, signal: 'SIGKILL', killed: true });
    expect(logs.text.out).toContain('got SIGTERM, ignoring');
    expect(isProcessRunning(inst.pid!)).toBe(false);
  });

  it('stop is idempotent: concurrent calls share one result', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'twice', command: ['node', join(fixtures, 'ignore-sigterm.js')], logs });
    await logs.waitFor(/ready/);
    const a = inst.stop('SIGTERM', 200);
    const b = inst.stop('SIGINT', 10_000);
    expect(b).toBe(a);
    const [ia, ib] = await Promise.all([a, b]);
    expect(ia).toBe(ib);
    expect(await inst.stop('SIGTERM', 1)).toBe(ia);
  });

  it('stop after a natural exit returns the same exit info', async () => {
    const inst = await start({ name: 'done', command: ['node', join(fixtures, 'crash-immediately.js')] });
    const info = await inst.exited;
    expect(await inst.stop('SIGTERM', 100)).toBe(info);
  });

  it('kills the orphaned grandchildren when the leader dies on its own', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'orphans', command: ['sh', join(fixtures, 'spawn-grandchildren.sh')], logs });
    await logs.waitFor(/children \d+/);
    const kids = childrenOf(inst.pid!);
    expect(kids.length).toBe(2);
    // Kill the leader alone, as a crash would: the sleeps are orphaned but stay in the group.
    process.kill(inst.pid!, 'SIGKILL');
    const info = await inst.exited;
    expect(info).toMatchObject({ signal: 'SIGKILL', killed: false, orphansKilled: true });
    for (const pid of kids) expect(isProcessRunning(pid)).toBe(false);
  });

  it('exited waits until the whole group is gone', async () => {
    const logs = memorySink();
    const inst = await start({ name: 'wait', command: ['sh', join(fixtures, 'spawn-grandchildren.sh')], logs });
    await logs.waitFor(/children \d+/);
    const kids = childrenOf(inst.pid!);
    let settled = false;
    void inst.exited.then(() => (settled = true));
    // Kill the grandchildren first: the leader's `wait` returns and it exits 0 by itself.
    for (const pid of kids) process.kill(pid, 'SIGKILL');
    await waitFor('exited', () => settled);
    expect((await inst.exited).code).toBe(0);
  });
});
