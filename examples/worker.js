// A worker that needs the web example: started only once web is healthy
// (depends_on: { web: healthy }). It calls web every few seconds and says how it went.
const target = process.env.WEB_URL ?? 'http://127.0.0.1:8080/';
const every = Number(process.env.INTERVAL_MS ?? 3000);
let failures = 0;

async function work() {
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(2000) });
    const text = (await res.text()).trim();
    failures = 0;
    console.log(`worker: ${res.status} ${text}`);
  } catch (err) {
    failures++;
    console.error(`worker: ${target} failed (${failures} in a row): ${err.message}`);
    // Without its dependency the worker is useless: exit and let corral restart it.
    if (failures >= 5) process.exit(1);
  }
}

console.log(`worker: calling ${target} every ${every} ms`);
void work();
const timer = setInterval(work, every);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('worker: SIGTERM, exiting');
  process.exit(0);
});
