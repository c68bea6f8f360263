import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLogTail } from '../../../src/logs/index.js';
import { cli, fixtures, killMarked, processesWithMarker, project } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** The numbers of `seq N` lines; throws on anything else. */
function numbers(texts: string[]): number[] {
  return texts.map((t) => {
    const m = /^seq (\d+)$/.exec(t);
    if (!m) throw new Error(`not a numbered line: ${JSON.stringify(t)}`);
    return Number(m[1]);
  });
}

/** Where consecutive numbers do not follow one another (a repeated, skipped or reordered stretch). */
function breaks(ns: number[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < ns.length; i++) if (ns[i] !== ns[i - 1]! + 1) out.push(`${ns[i - 1]} → ${ns[i]}`);
  return out;
}

describe('corral logs while the log rotates', () => {
  it('keeps max_files files, the live one included, and a tail read during rotations is whole and in order', async () => {
    const marker = `corral-test-${randomUUID()}`;
    // About 750 KB/s into 64 KB files: a rotation every ~0.1 s.
    const p = project(`version: 1
bus: { port: 0 }
components:
  counter:
    command: ["node", "${join(fixtures, 'count-lines.js')}", "200", "10"]
    env: { MARK: "${marker}" }
    logs: { max_size: 64KB, max_files: 4 }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const logs = join(p.dir, '.corral', 'logs');
    const files = () => readdirSync(logs).filter((f) => f.startsWith('counter.log')).sort();
    // Rotated past max_files at least once: the oldest is dropped, four files stay.
    await waitFor('rotations', () => readLogTail(logs, 'counter', 6000).length, (n) => n >= 4500, 30_000);
    expect(files()).toEqual(['counter.log', 'counter.log.1', 'counter.log.2', 'counter.log.3']);

    // Many reads while it rotates: each one the last 2500 lines, consecutive.
    for (let i = 0; i < 400; i++) {
      const ns = numbers(readLogTail(logs, 'counter', 2500).map((l) => l.text));
      expect(ns).toHaveLength(2500);
      expect(breaks(ns)).toEqual([]);
    }
    // And as a user reads them.
    for (let i = 0; i < 5; i++) {
      const r = await cli(['logs', 'counter', '-n', '2500'], p.dir);
      expect(r.code).toBe(0);
      const ns = numbers(r.stdout.trimEnd().split('\n').map((l) => l.replace(/^counter \| /, '')));
      expect(ns).toHaveLength(2500);
      expect(breaks(ns)).toEqual([]);
    }
    expect(files()).toEqual(['counter.log', 'counter.log.1', 'counter.log.2', 'counter.log.3']);

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
    // 400 tail reads and five CLI runs while a process writes 750 KB/s: 28 s with one core kept busy.
  }, 90_000);
});
