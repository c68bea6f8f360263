// Rows for the everyday features (issue 14), corral only, measured in the same run as bench/supervisor.js:
//   replicas 20 start   `corral start web` of `replicas: 20` until all 20 said hello, against
//                       `corral start e0 … e19` of 20 separate entries (same command); both
//                       daemons run at once and their starts alternate
//   watch 10k idle CPU  daemon CPU (and wakeups/s) over the idle window with one component watching 10,000 files
//   watch change→pid    a write to a watched file (debounce 200 ms) until the new pid says hello
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpuTicks, median, now, sleep, timeCommand, wakeups } from './lib.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'corral.js');
const cmd = join(root, 'bin', 'corral');
const RESTART = '    restart: { policy: always, backoff: { initial: 0ms, max: 0ms }, max_restarts: 1000 }\n    stop: { timeout: 5s }\n';

/** A corral project in a temp dir: `up -d` on the given components' YAML, `down` and removal at the end. */
async function withCorral(components, body) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-everyday-'));
  const conf = join(dir, 'corral.yaml');
  writeFileSync(conf, `version: 1\nbus: { port: 0 }\nresources: { enabled: false }\ncomponents:\n${components(dir)}`);
  try {
    spawnSync(process.execPath, [bin, 'up', '-d', '--timeout', '120s', '-c', conf], { stdio: 'ignore' });
    const daemonPid = () => JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')).pid;
    return await body({ dir, conf, daemonPid });
  } finally {
    spawnSync(process.execPath, [bin, 'down', '-c', conf], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Time of one `start NAMES` (after a `stop`) until every one of `hellos` said hello. */
async function startOnce(conf, names, hellos, server) {
  timeCommand(cmd, ['stop', ...names, '-c', conf]);
  await sleep(300);
  const ready = Promise.all(hellos.map((n) => server.next((m) => m.name === n, 60_000)));
  const t0 = now();
  timeCommand(cmd, ['start', ...names, '-c', conf]);
  const got = await ready;
  return got.every(Boolean) ? Math.max(...got.map((m) => m.at)) - t0 : Infinity;
}

export async function everydayBench({ server, runs, argv, settleMs, idleMs }) {
  const port = String(server.port);
  const twenty = Array.from({ length: 20 }, (_, i) => i);
  const cmdLine = `    command: ${JSON.stringify(argv)}\n`;
  const out = {};

  // Both daemons up at once, their starts taken in turn (the order swapped every run): a
  // machine that gets busier during the run favours neither.
  const replicaNames = twenty.map((i) => `web-${i + 1}`);
  const entryNames = twenty.map((i) => `e${i}`);
  const ready = Promise.all([...replicaNames, ...entryNames].map((n) => server.next((m) => m.name === n, 60_000)));
  const replicasYaml = () => `  web:\n${cmdLine}    replicas: 20\n    env: { BENCH_UDP_PORT: "${port}" }\n${RESTART}`;
  const entriesYaml = () => entryNames.map((n) => `  ${n}:\n${cmdLine}    env: { BENCH_UDP_PORT: "${port}", BENCH_NAME: ${n} }\n${RESTART}`).join('');
  await withCorral(replicasYaml, (replicas) =>
    withCorral(entriesYaml, async (entries) => {
      await ready;
      const r = [];
      const e = [];
      for (let i = 0; i < runs; i++) {
        const one = () => startOnce(replicas.conf, ['web'], replicaNames, server).then((t) => r.push(t));
        const other = () => startOnce(entries.conf, entryNames, entryNames, server).then((t) => e.push(t));
        if (i % 2 === 0) await one().then(other);
        else await other().then(one);
      }
      out.replicas = median(r);
      out.entries = median(e);
      out.replicaRuns = r;
      out.entryRuns = e;
    }),
  );

  const first = server.next((m) => m.name === 'watched', 60_000);
  Object.assign(
    out,
    await withCorral(
      (dir) => {
        for (let d = 0; d < 100; d++) {
          mkdirSync(join(dir, 'src', `d${d}`), { recursive: true });
          for (let f = 0; f < 100; f++) writeFileSync(join(dir, 'src', `d${d}`, `f${f}.js`), '');
        }
        return `  watched:\n${cmdLine}    env: { BENCH_UDP_PORT: "${port}", BENCH_NAME: watched }\n    watch: { paths: ["src/**"], debounce: 200ms }\n${RESTART}`;
      },
      async ({ dir, daemonPid }) => {
        let pid = (await first)?.pid;
        const pidOfDaemon = daemonPid();
        await sleep(settleMs);
        const c0 = cpuTicks(pidOfDaemon);
        const w0 = wakeups(pidOfDaemon);
        const t0 = now();
        await sleep(idleMs);
        const seconds = (now() - t0) / 1000;
        const cpu = ((cpuTicks(pidOfDaemon) - c0) / 100 / seconds) * 100;
        const wake = (wakeups(pidOfDaemon) - w0) / seconds;
        const times = [];
        for (let i = 0; i < runs; i++) {
          const next = server.next((m) => m.name === 'watched' && m.pid !== pid, 15_000);
          const t1 = now();
          writeFileSync(join(dir, 'src', `d${i}`, 'f0.js'), `// ${i}\n`);
          const msg = await next;
          if (!msg) break;
          times.push(msg.at - t1);
          pid = msg.pid;
          await sleep(500);
        }
        return { watchCpu: cpu, watchWake: wake, watchChange: median(times) };
      },
    ),
  );
  return out;
}
