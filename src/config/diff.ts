import { BUILTIN_RUNNERS, type ComponentConfig, type CorralConfig } from './schema.js';
import { CORE_COMPONENT_KEYS } from './checks.js';
import { hashConfig, stableStringify } from './hash.js';

/** What a reload does, per component; `config.changed` carries it. */
export interface ReloadPlan {
  /** New (or newly enabled) components: start them. */
  added: string[];
  /** Gone (or now disabled) components: stop them. */
  removed: string[];
  /** What runs changed (command, cwd, env, plugin, shell, a plugin's own keys): restart them. */
  restarted: string[];
  /** Only supervision settings changed (probes, policies, thresholds, dependencies, stop): apply in place. */
  updated: string[];
  /** Components that stay exactly as they are. */
  unchanged: number;
  /** Hash of the new config. */
  hash: string;
  /** Changed `bus` keys; `rebind` when the listening address moved (host or port). */
  bus: { changed: string[]; rebind: boolean };
  /** Other changed top-level sections (`resources`, `logs`, `state_dir`, `plugin_dirs`, `notify`, `hooks`, `federation`), applied globally. */
  settings: string[];
}

// Keys that decide what process runs and in what environment; a change needs a new process.
const RESTART_KEYS = ['command', 'cwd', 'env', 'plugin', 'shell'] as const;
// For tmux the session and window decide where it runs, so moving them is a restart too.
const TMUX_RESTART_KEYS = ['session', 'window'] as const;

const same = (a: unknown, b: unknown): boolean => stableStringify(a) === stableStringify(b);

function active(config: CorralConfig): Map<string, ComponentConfig> {
  return new Map(Object.entries(config.components).filter(([, c]) => c.enabled));
}

/** The keys whose change means the component must be restarted. */
function restartKeys(before: ComponentConfig, after: ComponentConfig): string[] {
  const keys: string[] = [...RESTART_KEYS];
  const plugins = [before.plugin, after.plugin];
  if (plugins.includes('tmux')) keys.push(...TMUX_RESTART_KEYS);
  // A plugin's own keys are handed to its `create`, so they change what runs.
  for (const c of [before, after]) {
    if ((BUILTIN_RUNNERS as readonly string[]).includes(c.plugin)) continue;
    keys.push(...Object.keys(c).filter((k) => !CORE_COMPONENT_KEYS.includes(k)));
  }
  return keys;
}

/** Compares two valid configs component by component (disabled entries count as absent). */
export function planReload(oldCfg: CorralConfig, newCfg: CorralConfig): ReloadPlan {
  const before = active(oldCfg);
  const after = active(newCfg);
  const plan: ReloadPlan = {
    added: [],
    removed: [],
    restarted: [],
    updated: [],
    unchanged: 0,
    hash: hashConfig(newCfg),
    bus: { changed: [], rebind: false },
    settings: [],
  };
  for (const name of before.keys()) if (!after.has(name)) plan.removed.push(name);
  for (const [name, next] of after) {
    const prev = before.get(name);
    if (!prev) plan.added.push(name);
    else if (restartKeys(prev, next).some((k) => !same((prev as Record<string, unknown>)[k], (next as Record<string, unknown>)[k])))
      plan.restarted.push(name);
    else if (!same(prev, next)) plan.updated.push(name);
    else plan.unchanged++;
  }
  for (const list of [plan.added, plan.removed, plan.restarted, plan.updated]) list.sort();

  const busKeys = new Set([...Object.keys(oldCfg.bus), ...Object.keys(newCfg.bus)]);
  plan.bus.changed = [...busKeys]
    .filter((k) => !same((oldCfg.bus as Record<string, unknown>)[k], (newCfg.bus as Record<string, unknown>)[k]))
    .sort();
  plan.bus.rebind = plan.bus.changed.includes('host') || plan.bus.changed.includes('port');
  const sections = ['resources', 'logs', 'state_dir', 'plugin_dirs', 'version', 'notify', 'hooks', 'federation'] as const;
  plan.settings = sections.filter((k) => !same(oldCfg[k], newCfg[k]));
  return plan;
}
