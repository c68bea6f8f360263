#!/usr/bin/env node
// The published entry: the compiled CLI lives in dist/ (built by `npm run build`, run on install).
// bin/corral (the `corral` command) starts quick commands without NODE_EXTRA_CA_CERTS and hands
// its value on here: put it back, so that whatever corral starts sees the user's environment.
if (process.env.CORRAL_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.CORRAL_NODE_EXTRA_CA_CERTS;
  delete process.env.CORRAL_NODE_EXTRA_CA_CERTS;
}
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`corral: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
