import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogLoad, createLogSink, followLogs, parseLogLine, readLogTail } from '../../../src/logs/index.js';
import type { LogLine } from '../../../src/logs/index.js';
import { waitFor } from '../../helpers/wait-for.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(dir, file), 'utf8');
const texts = (content: string) => content.split('\n').filter(Boolean).map((l) => parseLogLine(l).text);

describe('createLogSink', () => {
  it('prefixes each line with an ISO timestamp and its stream', async () => {
    const sink = createLogSink({ dir, name: 'web' });
    sink.write('out', 'hello\n');
    sink.write('err', Buffer.from('oops\n'));
    await sink.close();
    const lines = read('web.log').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out hello$/);
    expect(parseLogLine(lines[1]!)).toMatchObject({ stream: 'err', text: 'oops' });
  });

  it('joins partial lines and keeps streams apart', async () => {
    const sink = createLogSink({ dir, name: 'p' });
    sink.write('out', 'hel');
    sink.write('err', 'e1\ne');
    sink.write('out', 'lo\nwor');
    sink.write('err', '2\n');
    sink.write('out', 'ld\r\n');
    await sink.close();
    const lines = read('p.log').split('\n').filter(Boolean).map(parseLogLine);
    expect(lines.filter((l) => l.stream === 'out').map((l) => l.text)).toEqual(['hello', 'world']);
    expect(lines.filter((l) => l.stream === 'err').map((l) => l.text)).toEqual(['e1', 'e2']);
  });

  it('keeps a multi-byte character split across chunks whole', async () => {
    const sink = createLogSink({ dir, name: 'u' });
    const bytes = Buffer.from('héllo\n');
    sink.write('out', bytes.subarray(0, 2));
    sink.write('out', bytes.subarray(2));
    await sink.close();
    expect(texts(read('u.log'))).toEqual(['héllo']);
  });

  it('writes an unfinished line after a pause, and on flush', async () => {
    const sink = createLogSink({ dir, name: 'prompt', partialFlushMs: 20 });
    sink.write('out', 'password: ');
    await waitFor('partial line', () => existsSync(join(dir, 'prompt.log')) && read('prompt.log').includes('password: '));
    sink.write('out', 'tail');
    sink.flush();
    await sink.close();
    expect(texts(read('prompt.log'))).toEqual(['password: ', 'tail']);
  });

  it('rotates at the size cap and keeps maxFiles files, the current one included', async () => {
    const sink = createLogSink({ dir, name: 'r', maxSize: 1000, maxFiles: 3 });
    for (let i = 0; i < 100; i++) sink.write('out', `line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}\n`);
    await sink.close();
    for (const f of ['r.log', 'r.log.1', 'r.log.2']) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1000);
    expect(existsSync(join(dir, 'r.log.3'))).toBe(false);
    // The newest lines are in the current file, in order, none lost between the kept files.
    const kept = [...texts(read('r.log.2')), ...texts(read('r.log.1')), ...texts(read('r.log'))];
    expect(kept[kept.length - 1]).toMatch(/^line 099/);
    const numbers = kept.map((t) => Number(t.slice(5, 8)));
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
  });

  it('appends to an existing file and counts its size toward the cap', async () => {
    writeFileSync(join(dir, 'a.log'), 'x'.repeat(950) + '\n');
    const sink = createLogSink({ dir, name: 'a', maxSize: 1000, maxFiles: 2 });
    sink.write('out', 'new line that does not fit\n');
    await sink.close();
    expect(read('a.log.1')).toBe('x'.repeat(950) + '\n');
    expect(texts(read('a.log'))).toEqual(['new line that does not fit']);
  });

  it('with maxFiles 1 keeps the current file alone', async () => {
    const sink = createLogSink({ dir, name: 'one', maxSize: 200, maxFiles: 1 });
    for (let i = 0; i < 20; i++) sink.write('out', `line ${i}\n`);
    await sink.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('one.'))).toEqual(['one.log']);
    expect(texts(read('one.log')).at(-1)).toBe('line 19');
  });

  it('drops lines beyond the high-water mark and says so with a marker', async () => {
    const sink = createLogSink({ dir, name: 'd', highWater: 200 });
    for (let i = 0; i < 50; i++) sink.write('out', `line ${i}\n`);
    expect(sink.dropped).toBeGreaterThan(0);
    await sink.close();
    const lines = read('d.log').split('\n').filter(Boolean).map(parseLogLine);
    const marker = lines.find((l) => l.text.includes('dropped'));
    expect(marker).toMatchObject({ stream: 'err' });
    expect(marker!.text).toContain(`${sink.dropped} line(s) dropped`);
    expect(lines.length).toBe(50 - sink.dropped + 1);
    expect(marker!.text).toBe(`[corral] ${sink.dropped} line(s) dropped: output came faster than corral could write it (200 bytes backlog)`);
  });

  it('says how many were dropped once the backlog is written, with no later line needed', async () => {
    const sink = createLogSink({ dir, name: 'm', highWater: 4 * 1024 * 1024 });
    const line = `${'y'.repeat(99)}\n`;
    sink.write('out', line.repeat(60_000));
    expect(sink.dropped).toBeGreaterThan(0);
    const marker = `[corral] ${sink.dropped} line(s) dropped: output came faster than corral could write it (4 MiB backlog)`;
    await waitFor('the marker', () => existsSync(join(dir, 'm.log')) && read('m.log').includes(marker));
    await sink.close();
  });

  it('counts what it is handed in the log load', async () => {
    const load = createLogLoad();
    const sink = createLogSink({ dir, name: 'l', load });
    sink.write('out', 'abc\n');
    sink.write('err', new TextEncoder().encode('de'));
    expect(load.bytes).toBe(6);
    await sink.close();
  });
});

describe('readLogTail', () => {
  it('returns the last n lines, reaching into rotated files', async () => {
    const sink = createLogSink({ dir, name: 't', maxSize: 500, maxFiles: 3 });
    for (let i = 0; i < 40; i++) sink.write('out', `n${i}\n`);
    await sink.close();
    expect(existsSync(join(dir, 't.log.1'))).toBe(true);
    const tail = readLogTail(dir, 't', 15);
    expect(tail.map((l) => l.text)).toEqual(Array.from({ length: 15 }, (_, i) => `n${25 + i}`));
    expect(readLogTail(dir, 't', 0)).toEqual([]);
    expect(readLogTail(dir, 'missing', 5)).toEqual([]);
  });

  it('leaves out a last line still being written', () => {
    writeFileSync(join(dir, 'w.log'), '2026-01-01T00:00:00.000Z out a\n2026-01-01T00:00:00.000Z out b\n2026-01-01T00:0');
    expect(readLogTail(dir, 'w', 5).map((l) => l.text)).toEqual(['a', 'b']);
    expect(readLogTail(dir, 'w', 1).map((l) => l.text)).toEqual(['b']);
  });

  it('reads a tail from a file bigger than one block', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `2026-01-01T00:00:00.000Z out row ${i}`).join('\n') + '\n';
    writeFileSync(join(dir, 'big.log'), body);
    expect(readLogTail(dir, 'big', 3).map((l) => l.text)).toEqual(['row 19997', 'row 19998', 'row 19999']);
  });
});

describe('followLogs', () => {
  it('follows new lines from the end, across a rotation, and new files', async () => {
    writeFileSync(join(dir, 'f.log'), '2026-01-01T00:00:00.000Z out old\n');
    const seen: Array<[string, LogLine]> = [];
    const follower = followLogs({ dir, onLine: (name, line) => seen.push([name, line]), pollMs: 50 });
    try {
      appendFileSync(join(dir, 'f.log'), '2026-01-01T00:00:01.000Z out one\n2026-01-01T00:00:02.000Z err tw');
      appendFileSync(join(dir, 'f.log'), 'o\n');
      await waitFor('two lines', () => seen.length === 2);
      // Rotate: the last line of the old file is written just before the rename.
      appendFileSync(join(dir, 'f.log'), '2026-01-01T00:00:03.000Z out three\n');
      renameSync(join(dir, 'f.log'), join(dir, 'f.log.1'));
      writeFileSync(join(dir, 'f.log'), '2026-01-01T00:00:04.000Z out four\n');
      writeFileSync(join(dir, 'g.log'), '2026-01-01T00:00:05.000Z out from g\n');
      await waitFor('five lines', () => seen.length === 5);
      expect(seen.map(([n, l]) => `${n}:${l.stream}:${l.text}`)).toEqual(['f:out:one', 'f:err:two', 'f:out:three', 'f:out:four', 'g:out:from g']);
    } finally {
      follower.close();
    }
  });
});
