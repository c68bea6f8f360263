// The floor of an http hook, for bench/hooks.js: a bare Node http server that reads a
// POST's body, parses it and answers 202 `{}` as corral's POST /hooks/EVENT does, with
// no store, no bus and no rules. Prints its port on stdout; ends when its stdin closes.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {}
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
