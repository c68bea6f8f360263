/**
 * Text for figures and events shared by the CLI (src/cli/) and the monitor
 * (src/monitor/), which sits below the CLI and must not import it.
 */

/** `12.5%`, or `-` when not sampled: the CPU column of `corral ps` and the monitor. */
export function formatCpu(percent: number | null): string {
  return percent === null ? '-' : `${percent.toFixed(1)}%`;
}

/** `341.4 MB`, or `-` when not sampled: the memory column of `corral ps` and the monitor. */
export function formatMemory(mb: number | null): string {
  return mb === null ? '-' : `${mb.toFixed(1)} MB`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

function names(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * A reload plan in one line: `+added −removed ↻restarted ~updated`, then the
 * ecosystem-wide sections and bus settings that changed, the unchanged count
 * and what triggered it, e.g. `+d −c ↻b ~a, settings: resources, 1 unchanged (file)`.
 */
export function summarizeConfigChanged(p: Record<string, unknown>): string {
  const parts: string[] = [];
  const marks: [string, unknown][] = [['+', p.added], ['−', p.removed], ['↻', p.restarted], ['~', p.updated]];
  const components = marks.flatMap(([mark, list]) => names(list).map((n) => `${mark}${n}`));
  if (components.length > 0) parts.push(components.join(' '));
  const settings = names(p.settings);
  if (settings.length > 0) parts.push(`settings: ${settings.join(' ')}`);
  const bus = (p.bus ?? {}) as { changed?: unknown; rebind?: unknown };
  const busKeys = names(bus.changed);
  if (busKeys.length > 0) parts.push(`bus: ${busKeys.join(' ')}${bus.rebind === true ? ' (to a new address)' : ''}`);
  // The CFG001 is over and the file is the applied one again: an empty plan that says so.
  if (p.valid_again === true) parts.unshift('valid again, nothing to apply');
  else if (parts.length === 0) parts.push('no changes');
  if (typeof p.unchanged === 'number') parts.push(`${p.unchanged} unchanged`);
  const trigger = str(p.trigger);
  return `${parts.join(', ')}${trigger ? ` (${trigger})` : ''}`;
}
