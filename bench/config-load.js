// Config loading at size: `corral validate` of large configs, and a daemon's reload of a 239 KB config.
//
//   npm run build && node bench/config-load.js [--root DIR] [--skip-40k]
//
// `--root` runs another checkout's build (its bin/corral.js), to compare
// before/after on one machine. Printed: the wall time of `corral validate`
// for 1k/2k/5k/40k components (each depending on the one before, so the
// dependency checks run over a long chain) and for 1k components that each
// name an unknown dependency (every error is placed in the file and gets a
// "did you mean"); then a daemon with one component is sent a 239 KB config
// (2,000 disabled components): the time from the write to `config.changed`
// or the CFG001 error, and the slowest `GET /health` answered meanwhile,
// which is how long the reload held the daemon's event loop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmt, machine, now, printTable, sleep } from './lib.js';

const args = process.argv.slice(2);
const rootArg = args.indexOf('--root');
const root = resolve(rootArg >= 0 ? args[rootArg + 1] : join(import.meta.dirname, '..'));
const bin = join(root, 'bin', 'corral.js');
const dir = mkdtempSync(join(tmpdir(), 'corral-bench-config-'));

/** n components in a dependency chain; `unknown` makes each depend on a name that does not exist. */
function config(n, { unknown = false, disabled = false, pad = 0 } = {}) {
  const lines = ['version: 1', 'bus: { port: 0 }', 'resources: { enabled: false }', 'components:'];
  lines.push('  web:', '    command: ["sleep", "1000"]');
  for (let i = 0; i < n; i++) {
    const dep = unknown ? `svc${i}x` : i > 0 ? `svc${i - 1}` : 'web';
    lines.push(`  svc${i}:`, `    command: ["node", "worker.js", "--shard", "${i}"]`, `    env: { SHARD: "${i}"${pad ? `, NOTE: "${'n'.repeat(pad)}"` : ''} }`, `    depends_on: [${dep}]`);
    if (disabled) lines.push('    enabled: false');
  }
  return `${lines.join('\n')}\n`;
}

function validate(label, text) {
  const file = join(dir, `${label}.yaml`);
  writeFileSync(file, text);
  const t0 = now();
  const r = spawnSync(process.execPath, [bin, 'validate', '-c', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = now() - t0;
  const last = `${r.stdout}${r.stderr}`.trim().split('\n');
  return [label, `${Math.round(text.length / 1024)} KB`, fmt(ms), String(r.status), (r.status === 0 ? last[0] : last[last.length - 1]).replace(dir, '…').slice(0, 90)];
}

const rows = [validate('1k', config(1000)), validate('2k', config(1999)), validate('5k', config(5000)), validate('1k-unknown-deps', config(1000, { unknown: true }))];
if (!args.includes('--skip-40k')) rows.push(validate('40k', config(40_000)));
printTable(`corral validate (${root}; ${machine()})`, ['config', 'size', 'ms', 'exit', 'says'], rows);

// The reload: a running daemon, a 239 KB config written over its file.
const file = join(dir, 'corral.yaml');
writeFileSync(file, config(0));
const cli = (...a) => spawnSync(process.execPath, [bin, ...a, '-c', file], { encoding: 'utf8' });
const up = cli('up', '-d');
if (up.status !== 0) {
  console.error(up.stderr);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
try {
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  const base = `http://127.0.0.1:${info.port}`;
  const big = config(1999, { disabled: true, pad: 12 });
  const before = (await (await fetch(`${base}/events?limit=1`, { headers: { connection: 'close' } })).json()).events?.at(-1)?.seq ?? 0;
  let worst = 0;
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const t0 = now();
      // A fresh connection each time: a kept-alive one the daemon has closed would read as a reset.
      await fetch(`${base}/health`, { headers: { connection: 'close' } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
      worst = Math.max(worst, now() - t0);
      await sleep(10);
    }
  })();
  await sleep(200);
  const t0 = now();
  writeFileSync(file, big);
  let outcome = 'none within 120 s';
  let took = NaN;
  while (now() - t0 < 120_000) {
    const page = await fetch(`${base}/events?after=${before}&limit=50`, { headers: { connection: 'close' } })
      .then((r) => r.json())
      .catch(() => ({ events: [] }));
    const e = (page.events ?? []).find((x) => x.event_type === 'config.changed' || x.event_type === 'error.CFG001');
    if (e) {
      took = now() - t0;
      outcome = e.event_type === 'config.changed' ? `applied (${e.payload.unchanged} unchanged)` : `refused: ${String(e.payload.error_message).slice(0, 60)}`;
      break;
    }
    await sleep(20);
  }
  polling = false;
  await poll;
  printTable(`Reload of a ${Math.round(big.length / 1024)} KB config (2,000 components) in a running daemon`, ['write → event ms', 'slowest /health ms', 'outcome'], [[fmt(took), fmt(worst), outcome]]);
} finally {
  cli('down');
  rmSync(dir, { recursive: true, force: true });
}
