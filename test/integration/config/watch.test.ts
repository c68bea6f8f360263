import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../../src/config/schema.js';
import { watchConfig, type ConfigWatcher, type WatchResult } from '../../../src/config/watch.js';
import { lines, makeTempDir } from '../../unit/config/helpers.js';

let tmp: ReturnType<typeof makeTempDir>;
let watcher: ConfigWatcher | undefined;
let results: WatchResult[];
let file: string;

const config = (command: string, extra: string[] = []) => lines('components:', '  web:', `    command: ${command}`, ...extra);

/** Polls a condition until it holds or the deadline passes. */
async function waitFor(what: string, check: () => boolean, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; results: ${JSON.stringify(results.map(summary))}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const summary = (r: WatchResult) => (r.ok ? `ok ${JSON.stringify(r.config.components.web?.command)}` : `error ${JSON.stringify(r.errors)}`);

/**
 * Saves a distinct final version and waits for it: every result the earlier
 * saves could produce has been delivered by then, so counts are exact without sleeping.
 */
async function settle(): Promise<void> {
  const before = results.length;
  writeFileSync(file, config('node sentinel.js'));
  await waitFor('the sentinel save', () => results.length > before && summary(results.at(-1)!) === 'ok "node sentinel.js"');
}

async function start(debounceMs = 150): Promise<void> {
  watcher = watchConfig(file, { debounceMs, onChange: (r) => results.push(r) });
  await watcher.ready;
}

beforeEach(() => {
  tmp = makeTempDir('corral-watch-');
  results = [];
  file = tmp.write('corral.yaml', config('node v0.js'));
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  tmp.cleanup();
});

describe('watchConfig', () => {
  test('a save reloads once, with the plan against the previous config', async () => {
    await start();
    writeFileSync(file, config('node v1.js'));
    await waitFor('one reload', () => results.length === 1);
    const [first] = results;
    expect(first!.ok).toBe(true);
    if (!first!.ok) return;
    expect(first!.plan).toMatchObject({ restarted: ['web'], added: [], removed: [], updated: [], unchanged: 0, hash: first!.hash });
  });

  test('50 rapid saves produce exactly one reload, of the last content', async () => {
    await start(300);
    for (let i = 1; i <= 50; i++) await writeFile(file, config(`node v${i}.js`));
    await waitFor('a reload', () => results.length >= 1);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node v50.js"', 'ok "node sentinel.js"']);
  });

  test('a half-written file followed by the complete one reports no error', async () => {
    await start();
    const full = config('node v1.js', ['    env: { A: "1" }']);
    await writeFile(file, full.slice(0, full.indexOf('"1"') + 2));
    await writeFile(file, full);
    await waitFor('a reload', () => results.length >= 1);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node v1.js"', 'ok "node sentinel.js"']);
  });

  test('an atomic save (write a temp file, rename it over) is one reload and never a deletion', async () => {
    await start();
    const temp = join(tmp.dir, '.corral.yaml.swp');
    writeFileSync(temp, config('node atomic.js'));
    renameSync(temp, file);
    await waitFor('a reload', () => results.length >= 1);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node atomic.js"', 'ok "node sentinel.js"']);
  });

  test('a backup-style save (rename the file away, write a new one) is one reload and never a deletion', async () => {
    await start();
    renameSync(file, `${file}~`);
    writeFileSync(file, config('node backup.js'));
    unlinkSync(`${file}~`);
    await waitFor('a reload', () => results.length >= 1);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node backup.js"', 'ok "node sentinel.js"']);
  });

  test('invalid YAML is one error result with its line, and the next valid save applies', async () => {
    await start();
    writeFileSync(file, lines('components:', '  web:', '    command: "node v1.js', '    cwd: .'));
    await waitFor('an error', () => results.length >= 1);
    await settle();
    expect(results).toHaveLength(2);
    const [error] = results;
    expect(error!.ok).toBe(false);
    if (error!.ok) return;
    expect(error!.errors[0]!.message).toMatch(/invalid YAML/);
    expect(error!.errors[0]!.line).toBeGreaterThanOrEqual(3);
  });

  test('an unknown key is one error result with its path and line', async () => {
    await start();
    writeFileSync(file, config('node v1.js', ['    restrat: { policy: always }']));
    await waitFor('an error', () => results.length >= 1);
    await settle();
    const [error] = results;
    expect(error!.ok).toBe(false);
    if (error!.ok) return;
    expect(error!.errors).toEqual([expect.objectContaining({ path: 'components.web.restrat', line: 4, column: 5 })]);
  });

  test('a save that changes nothing but comments is not reported', async () => {
    await start();
    writeFileSync(file, `# only a comment\n${config('node v0.js')}`);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node sentinel.js"']);
  });

  test('deleting the file is reported as an error, and recreating it applies again', async () => {
    await start();
    unlinkSync(file);
    await waitFor('an error', () => results.length >= 1);
    expect(results[0]).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/no such file/) }] });
    await settle();
    expect(results).toHaveLength(2);
  });

  test('after close nothing is reported', async () => {
    await start();
    await watcher!.close();
    watcher = undefined;
    writeFileSync(file, config('node v1.js'));
    // Give a live watcher every chance to report, then check nothing came: a fresh watcher proves the save was seen.
    const probe: WatchResult[] = [];
    const second = watchConfig(file, { debounceMs: 50, onChange: (r) => probe.push(r), initial: { hash: 'none', config: ConfigSchema.parse({}) } });
    try {
      await second.ready;
      writeFileSync(file, config('node v2.js'));
      await waitFor('the second watcher', () => probe.length >= 1);
    } finally {
      await second.close();
    }
    expect(results).toEqual([]);
  });
});
