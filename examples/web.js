// A tiny web server with a health route: the example of an http health probe.
// PORT (default 8080) and HOST (default 127.0.0.1) come from the environment.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const started = Date.now();
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', uptime_ms: Date.now() - started }));
    return;
  }
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello from the corral example web server (${requests} requests so far)\n`);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});

server.on('error', (err) => {
  console.error(`web: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, host, () => console.log(`web: listening on http://${host}:${server.address().port}`));

// Stop cleanly on the supervisor's stop signal: finish open requests, then exit 0.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`web: ${signal}, closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
  });
}
