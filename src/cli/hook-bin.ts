// The entry of `corral hook` alone, bundled by scripts/build-hook.js into one
// CommonJS file, dist/corral-hook.cjs, which bin/corral runs for `hook`: Claude
// Code waits for every hook, and Node then reads one file instead of resolving
// and loading the CLI's ES modules one by one (src/cli/main.ts and the ten
// modules under src/cli/hook.ts).
import { run } from './hook.js';

// bin/corral starts `hook` without NODE_EXTRA_CA_CERTS and hands its value on
// under another name: put it back, as bin/corral.js does.
if (process.env.CORRAL_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.CORRAL_NODE_EXTRA_CA_CERTS;
  delete process.env.CORRAL_NODE_EXTRA_CA_CERTS;
}

// argv: node, this file, `hook`, then the hook's own arguments.
run(process.argv.slice(3)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`corral hook: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    // Claude Code is never blocked by a hook that failed (src/cli/hook.ts).
    process.exitCode = 0;
  },
);
