import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { PluginSchemaResolver } from '../../../src/config/load.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { watchConfig, type ConfigWatcher, type WatchResult } from '../../../src/config/watch.js';
import { lines, makeTempDir } from '../../unit/config/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let tmp: ReturnType<typeof makeTempDir>;
let watcher: ConfigWatcher | undefined;
let results: WatchResult[];
let file: string;

const config = (command: string, extra: string[] = []) => lines('components:', '  web:', `    command: ${command}`, ...extra);

/** What the watcher delivered so far, for a timeout's message. */
const seen = { detail: () => results.map(summary) };
const summary = (r: WatchResult) => (r.ok ? `ok ${JSON.stringify(r.config.components.web?.command)}` : `error ${JSON.stringify(r.errors)}`);

/**
 * Saves a distinct final version and waits for it: every result the earlier
 * saves could produce has been delivered by then, so counts are exact without sleeping.
 */
async function settle(): Promise<void> {
  const before = results.length;
  writeFileSync(file, config('node sentinel.js'));
  await waitFor('the sentinel save', () => results.length > before && summary(results.at(-1)!) === 'ok "node sentinel.js"', seen);
}

async function start(debounceMs = 150, resolvePluginSchema?: PluginSchemaResolver): Promise<void> {
  watcher = watchConfig(file, { debounceMs, resolvePluginSchema, onChange: (r) => results.push(r) });
  await watcher.ready;
}

/**
 * Sees the watcher read the file. A config whose first component uses the
 * plugin `marker` makes every load of it ask the plugin resolver for that
 * plugin's schema, mid-parse: the resolver notes what the file held then and
 * when, and resolves `next()` so a test can act right after that read.
 */
function readProbe() {
  const reads: { text: string; at: number }[] = [];
  let waiting: { count: number; resolve: () => void } | null = null;
  const resolver: PluginSchemaResolver = async (plugin) => {
    reads.push({ text: readFileSync(file, 'utf8'), at: performance.now() });
    if (waiting && reads.length >= waiting.count) waiting.resolve();
    return plugin === 'marker' ? z.object({}) : null;
  };
  return {
    reads,
    resolver,
    /** Resolves once the watcher has read the file `count` times in all. */
    next(count: number, deadlineMs = 10_000): Promise<void> {
      if (reads.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the watcher read the file ${reads.length} times, not ${count}`)), deadlineMs);
        waiting = { count, resolve: () => (clearTimeout(t), resolve()) };
      });
    },
  };
}

/** A config with the `marker` plugin component first, then web; cut after `web:` it is valid YAML but an invalid config. */
const withMarker = (command: string) => lines('components:', '  probe:', '    plugin: marker', '  web:', `    command: ${command}`, '    env: { A: "1" }');
const halfWritten = (text: string) => text.slice(0, text.indexOf('  web:\n') + '  web:\n'.length);

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
    await waitFor('one reload', () => results.length === 1, seen);
    const [first] = results;
    expect(first!.ok).toBe(true);
    if (!first!.ok) return;
    expect(first!.plan).toMatchObject({ restarted: ['web'], added: [], removed: [], updated: [], unchanged: 0, hash: first!.hash });
  });

  test('50 rapid saves produce exactly one reload, of the last content', async () => {
    await start(300);
    for (let i = 1; i <= 50; i++) await writeFile(file, config(`node v${i}.js`));
    await waitFor('a reload', () => results.length >= 1, seen);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node v50.js"', 'ok "node sentinel.js"']);
  });

  test('a half-written file followed by the complete one reports no error', async () => {
    await start();
    const full = config('node v1.js', ['    env: { A: "1" }']);
    await writeFile(file, full.slice(0, full.indexOf('"1"') + 2));
    await writeFile(file, full);
    await waitFor('a reload', () => results.length >= 1, seen);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node v1.js"', 'ok "node sentinel.js"']);
  });

  test('a half-written file the watcher reads is held back, and the complete file that follows within the hold-back is the only report', async () => {
    const probe = readProbe();
    const debounceMs = 150;
    await start(debounceMs, probe.resolver);
    const full = withMarker('node v1.js');
    const half = halfWritten(full);
    await writeFile(file, half);
    // The half-written file stayed a whole debounce: the watcher read and parsed it (web is still null in it).
    await probe.next(1);
    expect(probe.reads[0]!.text).toBe(half);
    // Past the microtasks of that load (setImmediate runs after them): its invalid result is now held, not reported.
    await new Promise((r) => setImmediate(r));
    expect(results).toEqual([]);
    // The rest of the file lands within the hold-back (one more debounce after that read).
    await writeFile(file, full);
    await waitFor('the complete file', () => results.length >= 1, seen);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node v1.js"', 'ok "node sentinel.js"']);
    expect(probe.reads[1]!.text).toBe(full);
    const [complete] = results;
    if (!complete!.ok) return;
    expect(complete!.plan).toMatchObject({ added: ['probe'], restarted: ['web'] });
  });

  test('an invalid file that stays invalid is reported once, a debounce after the watcher read it', async () => {
    const probe = readProbe();
    const debounceMs = 150;
    const reportedAt: number[] = [];
    watcher = watchConfig(file, {
      debounceMs,
      resolvePluginSchema: probe.resolver,
      onChange: (r) => {
        results.push(r);
        reportedAt.push(performance.now());
      },
    });
    await watcher.ready;
    const half = halfWritten(withMarker('node v1.js'));
    await writeFile(file, half);
    await probe.next(1);
    await waitFor('the error', () => results.length >= 1, seen);
    // Held for the hold-back period after the read, not reported at once (a slow machine only makes this longer).
    expect(reportedAt[0]! - probe.reads[0]!.at).toBeGreaterThanOrEqual(debounceMs / 2);
    expect(results[0]).toMatchObject({ ok: false, errors: [expect.objectContaining({ path: 'components.web', line: 4 })] });
    await settle();
    expect(results.map((r) => r.ok)).toEqual([false, true]);
    expect(probe.reads.map((r) => r.text)).toEqual([half]);
  });

  test('an atomic save (write a temp file, rename it over) is one reload and never a deletion', async () => {
    await start();
    const temp = join(tmp.dir, '.corral.yaml.swp');
    writeFileSync(temp, config('node atomic.js'));
    renameSync(temp, file);
    await waitFor('a reload', () => results.length >= 1, seen);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node atomic.js"', 'ok "node sentinel.js"']);
  });

  test('a backup-style save (rename the file away, write a new one) is one reload and never a deletion', async () => {
    await start();
    renameSync(file, `${file}~`);
    writeFileSync(file, config('node backup.js'));
    unlinkSync(`${file}~`);
    await waitFor('a reload', () => results.length >= 1, seen);
    await settle();
    expect(results.map(summary)).toEqual(['ok "node backup.js"', 'ok "node sentinel.js"']);
  });

  test('invalid YAML is one error result with its line, and the next valid save applies', async () => {
    await start();
    writeFileSync(file, lines('components:', '  web:', '    command: "node v1.js', '    cwd: .'));
    await waitFor('an error', () => results.length >= 1, seen);
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
    await waitFor('an error', () => results.length >= 1, seen);
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
    await waitFor('an error', () => results.length >= 1, seen);
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
