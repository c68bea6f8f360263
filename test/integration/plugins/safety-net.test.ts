import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpileCli } from './transpile-cli.js';

/** Runs the safety net in a child process: it installs process-wide handlers, which must not touch the test runner's. */
describe('plugin safety net', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-safety-'));
    transpileCli(dir, ['src/plugins/safety-net.ts', 'src/plugins/loader.ts']);
    writeFileSync(
      join(dir, 'careless.mjs'),
      `export default { name: 'careless', configSchema: { safeParse: (v) => ({ success: true, data: v }) },
         create() {
           Promise.reject(new Error('forgot to await'));
           setTimeout(() => { throw new Error('timer blew up'); }, 10);
           return { start: async () => { throw new Error('unused'); } };
         } };`,
    );
    writeFileSync(
      join(dir, 'driver.mjs'),
      `import { installPluginSafetyNet } from './src/plugins/safety-net.js';
       import { loadPlugin } from './src/plugins/loader.js';
       const log = (m) => process.stdout.write(m.split('\\n')[0] + '\\n');
       installPluginSafetyNet({ debug() {}, info() {}, warn: log, error: log });
       const plugin = await loadPlugin('./careless.mjs', { configDir: process.cwd() });
       plugin.create({}, {});
       setTimeout(() => {
         log('survived');
         if (process.argv[2] === 'core-bug') setTimeout(() => { throw new Error('core bug'); }, 0);
       }, 100);`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const runDriver = (...args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(process.execPath, [join(dir, 'driver.mjs'), ...args], { cwd: dir, timeout: 20_000 }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
      );
    });

  it('logs a plugin\'s stray rejection and thrown timer, naming it, and keeps running', async () => {
    const { code, out } = await runDriver();
    expect(out).toContain('unhandled rejection in plugin "./careless.mjs": Error: forgot to await');
    expect(out).toContain('uncaught exception in plugin "./careless.mjs" (contained): Error: timer blew up');
    expect(out).toContain('survived');
    expect(code).toBe(0);
  });

  it('still ends the process on an uncaught exception that is not a plugin\'s', async () => {
    const { code, out } = await runDriver('core-bug');
    expect(out).toContain('uncaught exception: Error: core bug');
    expect(code).toBe(1);
  });
});
