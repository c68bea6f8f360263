import type { ComponentConfig, CorralConfig } from '../config/schema.js';
import type { Logger } from '../runners/types.js';
import type { Component } from './component.js';

/** What a hot reload changes, per component. */
export interface SupervisorPlan {
  added: string[];
  removed: string[];
  restarted: string[];
  updated: string[];
}

/** What applying a plan needs of the supervisor (src/supervisor/supervisor.ts). */
export interface PlanTarget {
  components: Map<string, Component>;
  /** Adds a component for a new entry (not started). */
  add(name: string, config: ComponentConfig): Component;
  /** Starts it without waiting for it to settle (a no-op when disabled); true when the command ran. */
  launch(c: Component): Promise<boolean>;
  /** Launches a waiting component whose dependencies are met now, or says why it still waits. */
  rejudge(c: Component): void;
  /** The live groups may have changed: report them. */
  reportGroups(): void;
  logger?: Logger;
}

/**
 * Applies a validated reload plan: removed entries are forgotten (or kept as
 * disabled), updated ones take their new settings in place, restarted ones
 * are reconfigured, added ones created and started. A component that fails
 * is logged; the others go on.
 */
export async function applyReloadPlan(t: PlanTarget, config: CorralConfig, plan: SupervisorPlan): Promise<void> {
  const work: Promise<unknown>[] = [];
  // Forgotten only once its group is gone, so the group record keeps it until then.
  const forget = (name: string, c: Component) =>
    c.dispose().finally(() => {
      if (t.components.get(name) === c) t.components.delete(name);
      t.reportGroups();
    });
  for (const name of plan.removed) {
    const c = t.components.get(name);
    if (!c) continue;
    const kept = config.components[name];
    if (kept && !kept.enabled) {
      // Still in the file with enabled: false: listed as disabled, as at start, not forgotten.
      c.updateConfig(kept);
      work.push(c.disable());
      continue;
    }
    work.push(forget(name, c));
  }
  for (const name of plan.updated) {
    const c = t.components.get(name);
    const next = config.components[name];
    if (!c || !next) continue;
    const wasDisabled = c.state === 'disabled';
    c.updateConfig(next);
    if (!next.enabled && !wasDisabled) {
      work.push(c.disable());
    } else if (next.enabled && wasDisabled) {
      work.push(c.reconfigure(next, { start: false }).then(() => t.launch(c)));
    }
  }
  for (const name of plan.restarted) {
    const c = t.components.get(name);
    const next = config.components[name];
    if (!c || !next) continue;
    // A failed component whose command was fixed should run again; a stopped one stays stopped.
    const startAfter = c.state === 'disabled' || (c.state === 'pending' && c.waiting) || c.state === 'failed';
    work.push(
      c.reconfigure(next, { start: false }).then(() => {
        if (startAfter && next.enabled) return t.launch(c);
      }),
    );
  }
  // Switched on (enabled: false before, even since the daemon started): the entry exists, disabled.
  for (const name of plan.added) {
    const c = t.components.get(name);
    const next = config.components[name];
    if (!c || !next || c.state !== 'disabled') continue;
    work.push(c.reconfigure(next, { start: false }).then(() => t.launch(c)));
  }
  // The plan leaves out entries that stay disabled: list each as at start, a new one too, and forget one gone from the file.
  for (const [name, next] of Object.entries(config.components)) {
    if (next.enabled) continue;
    const c = t.components.get(name);
    if (!c) t.add(name, next);
    else if (c.state === 'disabled') c.updateConfig(next);
  }
  for (const [name, c] of t.components) {
    if (c.state === 'disabled' && !config.components[name]) work.push(forget(name, c));
  }
  const added = plan.added.filter((n) => !t.components.has(n) && config.components[n]);
  for (const name of added) t.add(name, config.components[name]!);
  for (const c of t.components.values()) {
    if (!added.includes(c.name) && c.waiting) t.rejudge(c); // its dependencies may have changed
  }
  for (const name of added) {
    const c = t.components.get(name)!;
    work.push(t.launch(c));
  }
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') t.logger?.error(`reload: ${(r.reason as Error).message}`);
}
