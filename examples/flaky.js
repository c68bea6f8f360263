// Runs a while, then crashes: shows corral's restart with backoff (and, when it
// crashes too often, the crash-loop `failed` state). CRASH_AFTER_MS sets how long
// it lives (default 8000 ms); EXIT_CODE how it dies (default 1).
const lifetime = Number(process.env.CRASH_AFTER_MS ?? 8000);
const code = Number(process.env.EXIT_CODE ?? 1);
const beat = Math.max(100, Math.min(1000, Math.floor(lifetime / 4)));

console.log(`flaky: up, pid ${process.pid}; will crash in ${lifetime} ms`);
const timer = setInterval(() => console.log('flaky: still fine'), beat);
setTimeout(() => {
  clearInterval(timer);
  console.error(`flaky: crashing with exit code ${code}`);
  process.exit(code);
}, lifetime);

process.on('SIGTERM', () => {
  console.log('flaky: SIGTERM, exiting');
  process.exit(0);
});
