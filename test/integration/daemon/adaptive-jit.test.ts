import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { DAEMON_V8_FLAGS } from '../../../src/cli/up.js';

// The real thing in a process with the daemon's flags (the build: `npm test` builds first): once
// the bus is busy, V8 really optimises a hot function it would not optimise before.
const entry = pathToFileURL(join(resolve(import.meta.dirname, '../../..'), 'dist', 'src', 'daemon', 'adaptive-jit.js')).href;
const CHILD = `
const { startAdaptiveJit } = await import(${JSON.stringify(entry)});
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += (i * 31) % 7; return s; }
const run = () => { for (let k = 0; k < 2000; k++) hot(1000); };
// Bit 16 of V8's optimisation status: the function runs optimised code.
const optimised = () => (%GetOptimizationStatus(hot) & 16) !== 0;
run();
const before = optimised();
let seq = 0;
const busy = setInterval(() => { seq += 500; run(); }, 100);
startAdaptiveJit({ seq: () => seq, eventsPerSecond: 1000, seconds: 2, onEnable: () => {
  clearInterval(busy);
  run();
  setTimeout(() => { run(); console.log(JSON.stringify({ before, after: optimised() })); }, 100);
} });
`;

describe('adaptive JIT under the daemon flags', () => {
  test('a hot function is interpreted before the bus is busy and optimised after', () => {
    const r = spawnSync(process.execPath, [...DAEMON_V8_FLAGS, '--allow-natives-syntax', '--input-type=module', '-e', CHILD], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ before: false, after: true });
  });
});
