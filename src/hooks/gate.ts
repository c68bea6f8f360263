import type { HooksConfig } from '../config/notify-schema.js';
import { createDecisions, type Decisions, type PublishOwn } from './decisions.js';
import { compileHookRules, type RuleVerdict } from './rules.js';

/** The daemon's hook decisions: the `hooks:` rules in force and the decisions they hold open. */
export interface HookGate {
  judge(hook: string, body: unknown): RuleVerdict;
  readonly decisions: Decisions;
  /** The timeout of an `ask` now (for a client that must know how long to wait). */
  askTimeoutMs(): number;
  /** A reloaded config's `hooks:` (new rules judge the next hook; held decisions keep their timers). */
  apply(config: HooksConfig): void;
  close(): void;
}

export function createHookGate(initial: HooksConfig, publish: PublishOwn): HookGate {
  let config = initial;
  let judge = compileHookRules(initial);
  const decisions = createDecisions({ publish, settings: () => ({ timeoutMs: config.ask_timeout, onTimeout: config.ask_default }) });
  return {
    judge: (hook, body) => judge(hook, body),
    decisions,
    askTimeoutMs: () => config.ask_timeout,
    apply(next) {
      config = next;
      judge = compileHookRules(next);
    },
    close: () => decisions.close(),
  };
}

export type { RuleVerdict } from './rules.js';
export { decisionAnswer } from './rules.js';
export { MAX_PENDING, type PendingDecision, type Outcome } from './decisions.js';
