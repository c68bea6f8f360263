// A log flood through a real daemon: one component prints 100-byte numbered
// lines to stdout as fast as the pipe takes them for `seconds` s
// (test/fixtures/flood.js), and this counts what reached its log file.
//
//   npm run build && node bench/log-flood.js [--seconds 8] [--bin LABEL=PATH/bin/corral.js ...]
//
// Each --bin is one corral build run in turn (default: this checkout), so two
// builds compare on the same machine: e.g. `--bin before=/tmp/old/bin/corral.js
// --bin after=bin/corral.js`. Per run: `corral up -d` in a fresh temp dir
// (`bus: { port: 0 }`, a 4 GB log file so nothing rotates away), wait until the
// component has finished and its log stopped growing, then count the lines in
// `.corral/logs/flood.log`, the lines the `[corral] N line(s) dropped` markers
// stand for, and the daemon's CPU (utime + stime from /proc, percent of one core)
// from `up` returning to the log settling; whether the daemon turned V8's
// compilers on is read from its own log. `corral down` after each run.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { cpuTicks, fmt, machine, now, printTable, sleep } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    bin: { type: 'string', multiple: true, default: [`this checkout=${resolve(import.meta.dirname, '..', 'bin', 'corral.js')}`] },
  },
});
const SECONDS = Number(values.seconds);
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const fixture = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'flood.js');

async function countLog(logs) {
  let written = 0;
  let dropped = 0;
  let markers = 0;
  for (const file of readdirSync(logs).filter((f) => f.startsWith('flood.log'))) {
    for await (const line of createInterface({ input: createReadStream(join(logs, file)) })) {
      if (/^\S+ out \d{10} x{88}$/.test(line)) written++;
      else {
        const m = /\[corral\] (\d+) line\(s\) dropped/.exec(line);
        if (m) {
          dropped += Number(m[1]);
          markers++;
        }
      }
    }
  }
  return { written, dropped, markers };
}

async function run(label, bin) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-log-flood-'));
  const config = join(dir, 'corral.yaml');
  const countFile = join(dir, 'printed');
  writeFileSync(
    config,
    `version: 1
bus: { port: 0 }
components:
  flood:
    command: ["${process.execPath}", "${fixture}"]
    env: { FLOOD_SECONDS: "${SECONDS}", FLOOD_COUNT_FILE: "${countFile}" }
    logs: { max_size: 4GB, max_files: 1 }
`,
  );
  const logs = join(dir, '.corral', 'logs');
  try {
    const up = spawnSync(process.execPath, [bin, 'up', '-d', '-c', config], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (up.status !== 0) throw new Error(`corral up failed: ${up.stderr}`);
    const pid = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')).pid;
    const t0 = now();
    const upAt = Date.now();
    const ticks0 = cpuTicks(pid);
    // Done when the component has said how much it printed and the log has not grown for a second.
    let size = -1;
    let still = 0;
    while (still < 4) {
      await sleep(250);
      const s = existsSync(join(logs, 'flood.log')) ? statSync(join(logs, 'flood.log')).size : 0;
      still = existsSync(countFile) && s === size ? still + 1 : 0;
      size = s;
      if (now() - t0 > (SECONDS + 120) * 1000) throw new Error('the log did not settle');
    }
    const cpu = ((cpuTicks(pid) - ticks0) / HZ) * 1000;
    const wall = now() - t0 - 1000;
    const printed = Number(readFileSync(countFile, 'utf8'));
    const counted = await countLog(logs);
    const jit = readFileSync(join(logs, 'corral.log'), 'utf8').match(/^(\S+) .*(?:is|are) busy \(([^)]*)\): V8's compilers are on/m);
    const jitAt = jit ? `after ${fmt((Date.parse(jit[1]) - upAt) / 1000, 1)} s (${jit[2]})` : 'no';
    return { label, printed, ...counted, cpu, wall, jit: jitAt };
  } finally {
    spawnSync(process.execPath, [bin, 'down', '-c', config], { cwd: dir, stdio: 'ignore', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${machine()}; one component printing 100-byte lines as fast as it can for ${SECONDS} s`);
const rows = [];
for (const spec of values.bin) {
  const at = spec.indexOf('=');
  const r = await run(at > 0 ? spec.slice(0, at) : spec, resolve(at > 0 ? spec.slice(at + 1) : spec));
  const pct = (n) => `${fmt((100 * n) / r.printed, 1)} %`;
  rows.push([
    r.label,
    r.printed,
    `${r.written} (${pct(r.written)})`,
    `${r.dropped} (${pct(r.dropped)}, ${r.markers} markers)`,
    r.printed - r.written - r.dropped,
    `${fmt(r.written / 10_000 / SECONDS, 1)} MB/s`,
    `${fmt((100 * r.cpu) / r.wall)} % of ${fmt(r.wall / 1000, 1)} s`,
    r.jit,
  ]);
}
printTable(
  'log flood: lines printed vs lines in the log file',
  ['build', 'printed', 'written', 'dropped (markers)', 'unaccounted', 'written/s', 'daemon CPU', 'compilers on (from up -d returning)'],
  rows,
);
