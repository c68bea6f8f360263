import type { EventFilter } from '../schema/messages.js';
import { runInteractive } from '../monitor/app.js';
import { fetchComponents, fetchRecentEvents } from '../monitor/fetch.js';
import { addEvents, applyComponents, createMonitorState } from '../monitor/model.js';
import { renderOnce } from '../monitor/render.js';
import { noWords, parseArgs, UsageError, useColor } from './args.js';
import type { MonitorTarget } from '../monitor/target.js';
import { apiRequest, busClientTarget, findDaemon, type DaemonTarget } from './daemon-client.js';
import { runCommand } from './run-command.js';

/**
 * `corral monitor [--once] [-n N] [--type T] [--source S] [--session ID] [--host H]`:
 * the terminal view of components and live events. With `--once`, or when
 * stdout is not a terminal, it prints the table and the last events and exits.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(
      args,
      { once: 'boolean', lines: 'value', type: 'value', source: 'value', session: 'value', host: 'value' },
      { n: 'lines' },
    );
    noWords(positionals, 'monitor');
    const lines = flags.lines === undefined ? 20 : Number(flags.lines);
    if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`--lines needs a whole number, got "${String(flags.lines)}"`);
    const filter: EventFilter = {};
    if (typeof flags.type === 'string') filter.event_type = flags.type;
    if (typeof flags.source === 'string') filter.source = flags.source;
    if (typeof flags.session === 'string') filter.session_id = flags.session;
    if (typeof flags.host === 'string') filter.host = flags.host;
    const target = monitorTarget(findDaemon(flags.config as string | undefined));

    if (flags.once || !process.stdout.isTTY || !process.stdin.isTTY) {
      const state = createMonitorState(target.baseUrl, filter);
      applyComponents(state, await fetchComponents(target));
      if (lines > 0) addEvents(state, await fetchRecentEvents(target, filter, lines));
      process.stdout.write(renderOnce(state, process.stdout.columns || 120, useColor(), lines));
      return 0;
    }
    const { connectLive } = await import('../monitor/live.js');
    return runInteractive({ target, filter, connect: connectLive, color: useColor() });
  }, 'monitor');
}

/** The monitor's view of the daemon the CLI found: its address, its API with the token, and the bus client's target. */
export function monitorTarget(target: DaemonTarget): MonitorTarget {
  return {
    baseUrl: target.baseUrl,
    request: (method, path, timeoutMs) => apiRequest(target, method, path, undefined, timeoutMs),
    bus: busClientTarget(target),
  };
}
