import { dirname } from 'node:path';
import { loadConfig } from '../config/load.js';
import { getPluginSchema } from '../plugins/loader.js';
import { findConfig } from '../daemon/paths.js';
import { parseArgs, UsageError, useColor } from './args.js';
import { displayPath, formatIssue, paint, plural } from './format.js';

const USAGE = 'usage: corral validate [FILE | -c FILE] [--json]';

export { formatIssue };

/** `corral validate [FILE]`: checks a config file and prints every error as FILE:LINE:COL path: message. Exit 2 when invalid. */
export async function run(args: string[]): Promise<number> {
  let flags: Record<string, string | boolean>;
  let given: string | undefined;
  try {
    let positionals: string[];
    ({ flags, positionals } = parseArgs(args, { json: 'boolean', help: 'boolean' }, { h: 'help' }));
    // `validate FILE` is `validate -c FILE`; both, or two files, is a usage error: which one was meant?
    if (positionals.length > 1) throw new UsageError(`takes one FILE, got ${positionals.length}: ${positionals.join(' ')}`);
    if (positionals.length === 1 && typeof flags.config === 'string') throw new UsageError(`give the file once: FILE (${positionals[0]}) or -c FILE (${flags.config}), not both`);
    given = positionals[0] ?? (typeof flags.config === 'string' ? flags.config : undefined);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`corral validate: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const json = flags.json === true;
  const file = findConfig(given);
  if (!file) {
    const message =
      'no config found: pass -c FILE, set CORRAL_CONFIG, or create corral.yaml (or config/ecosystem.yaml) in this directory or a parent';
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, file: null, errors: [{ path: '', message }] })}\n`);
    else process.stderr.write(`corral validate: ${message}\n`);
    return 2;
  }

  // The plugin_dirs come from the same parse as the rest (the file used to be parsed twice).
  const result = await loadConfig(file, {
    resolvePluginSchema: (plugin, _component, { pluginDirs }) => getPluginSchema(plugin, { configDir: dirname(file), pluginDirs }),
  });
  const shown = displayPath(file);
  const warnings = result.warnings ?? [];
  if (json) {
    const out = result.ok
      ? { ok: true, file, components: Object.keys(result.config.components).length, hash: result.hash, warnings }
      : { ok: false, file, errors: result.errors, warnings };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return result.ok ? 0 : 2;
  }
  const color = useColor(process.stdout);
  // Warnings (an unset ${VAR}) do not make the file invalid; they are printed first, each at its line.
  for (const issue of warnings) process.stdout.write(`${formatIssue(shown, { ...issue, message: `${paint('warning:', 'yellow', color)} ${issue.message}` }, color)}\n`);
  if (!result.ok) {
    for (const issue of result.errors) process.stdout.write(`${formatIssue(shown, issue, color)}\n`);
    const n = result.errors.length;
    process.stdout.write(`${paint(plural(n, 'error'), 'red', color)} in ${shown}\n`);
    return 2;
  }
  const components = Object.values(result.config.components);
  const disabled = components.filter((c) => !c.enabled).length;
  const count = plural(components.length, 'component');
  process.stdout.write(`${shown}: ${paint('valid', 'green', color)} (${count}${disabled > 0 ? `, ${disabled} disabled` : ''}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''})\n`);
  return 0;
}
