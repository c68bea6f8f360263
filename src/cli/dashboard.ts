import { spawn } from 'node:child_process';
import { parseArgs, UsageError } from './args.js';
import { apiRequest, DaemonNotRunningError, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

/** The dashboard's address with the token in the fragment (never sent to the server, moved out of the URL by the page). */
export function dashboardUrl(baseUrl: string, token: string | null): string {
  const base = `${baseUrl.replace(/\/+$/, '')}/`;
  return token ? `${base}#token=${encodeURIComponent(token)}` : base;
}

/** The program that opens a URL in the user's browser, or null where there is no display. */
export function browserOpener(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] | null {
  if (env.BROWSER) return [env.BROWSER];
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""'];
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return ['xdg-open'];
  return null;
}

/** Starts the opener detached; false when it could not be started (not installed). */
function open(argv: string[], url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, [...argv.slice(1), url], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * `corral dashboard [--print]`: opens the web dashboard of this config's
 * daemon with control (the token in the URL's fragment) in the browser where
 * there is a display, and prints the address where there is none (or with
 * `--print`).
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { print: 'boolean' });
    if (positionals.length > 0) throw new UsageError(`takes no component names, got "${positionals.join(' ')}" (usage: corral dashboard [--print])`);
    const target = findDaemon(flags.config as string | undefined);
    // Is it there? (and is it corral): the health document answers without the token.
    const health = await apiRequest<{ service?: string }>(target, 'GET', '/health', undefined, 5000).catch((err: unknown) => {
      if (err instanceof DaemonNotRunningError) throw new DaemonNotRunningError(`no daemon answers at ${target.baseUrl}; start it with \`corral up\``);
      throw err;
    });
    if (health.body?.service !== 'corral') throw new Error(`${target.baseUrl} is not a corral daemon (GET /health answered ${health.status})`);
    if (!target.token) {
      process.stderr.write(`corral dashboard: no token found${target.stateDir ? ` in ${target.stateDir}` : ' (set CORRAL_TOKEN, or run it in the project)'}: the page is read-only\n`);
    }
    const url = dashboardUrl(target.baseUrl, target.token);
    const opener = flags.print ? null : browserOpener();
    if (opener && (await open(opener, url))) {
      process.stderr.write(`corral dashboard: opened ${target.baseUrl}/ in the browser (with control for this tab)\n`);
      return 0;
    }
    process.stdout.write(`${url}\n`);
    if (!flags.print) process.stderr.write('corral dashboard: no display here; open the address above in a browser on this machine (it carries the token: keep it to yourself)\n');
    return 0;
  }, 'dashboard');
}
