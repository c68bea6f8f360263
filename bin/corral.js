#!/usr/bin/env node
// The published entry: the compiled CLI lives in dist/ (built by `npm run build`, run on install).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`corral: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
