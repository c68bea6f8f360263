import type { HookRule, HooksConfig } from '../config/notify-schema.js';

/** The hooks a `deny` or `ask` rule can decide: the ones Claude Code reads a permission decision from. */
export const DECIDABLE_HOOKS: readonly string[] = ['PreToolUse', 'PermissionRequest'];

/** What the rules say about one hook body. */
export type RuleVerdict =
  | { kind: 'none' }
  | { kind: 'deny'; rule: string; reason: string; tool: string }
  | { kind: 'ask'; rule: string; reason: string; tool: string };

/** A compiled rule: its label (`deny[0]`), and a test on a tool name and input. */
interface Compiled {
  label: string;
  reason: string | undefined;
  test: (tool: string, input: unknown) => boolean;
}

/** Every string inside a value, depth first (bounded: a rule never walks more than 10,000 of them). */
function strings(value: unknown, out: string[] = [], depth = 0): string[] {
  if (out.length >= 10_000 || depth > 64) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out, depth + 1);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out, depth + 1);
  return out;
}

/**
 * `match` is a substring, or a regular expression written `/…/flags`; it is
 * tried on each string of the tool input (`git push` finds Bash's
 * `{command: "git push origin main"}`), then on the input as JSON.
 */
function compileMatch(match: string | undefined): (input: unknown) => boolean {
  if (match === undefined) return () => true;
  const re = /^\/(.+)\/([a-z]*)$/s.exec(match);
  const test = re ? ((r: RegExp) => (s: string) => r.test(s))(new RegExp(re[1]!, re[2]!.replace('g', ''))) : (s: string) => s.includes(match);
  return (input) => strings(input).some(test) || test(JSON.stringify(input) ?? '');
}

function compile(rules: readonly HookRule[], list: 'deny' | 'ask'): Compiled[] {
  return rules.map((r, i) => {
    const matches = compileMatch(r.match);
    return { label: `${list}[${i}]`, reason: r.reason, test: (tool, input) => (r.tool === '*' || r.tool === tool) && matches(input) };
  });
}

/** The `hooks:` rules compiled once per config: `judge` runs on every decidable hook. */
export function compileHookRules(config: HooksConfig): (hook: string, body: unknown) => RuleVerdict {
  const deny = compile(config.deny, 'deny');
  const ask = compile(config.ask, 'ask');
  if (deny.length === 0 && ask.length === 0) return () => ({ kind: 'none' });
  return (hook, body) => {
    if (!DECIDABLE_HOOKS.includes(hook) || body === null || typeof body !== 'object') return { kind: 'none' };
    const b = body as { tool_name?: unknown; tool_input?: unknown };
    const tool = typeof b.tool_name === 'string' ? b.tool_name : '';
    if (tool === '') return { kind: 'none' };
    // deny before ask: a command both rules name is refused, not asked about.
    for (const r of deny) if (r.test(tool, b.tool_input)) return { kind: 'deny', rule: r.label, tool, reason: r.reason ?? `corral: ${tool} refused by hooks.${r.label}` };
    for (const r of ask) if (r.test(tool, b.tool_input)) return { kind: 'ask', rule: r.label, tool, reason: r.reason ?? `corral: ${tool} needs approval (hooks.${r.label})` };
    return { kind: 'none' };
  };
}

/**
 * The answer Claude Code reads from a hook (its hooks reference, docs/hooks.md):
 * PreToolUse takes `hookSpecificOutput.permissionDecision` with
 * `permissionDecisionReason`; PermissionRequest takes
 * `hookSpecificOutput.decision.behavior` with `message`.
 */
export function decisionAnswer(hook: string, decision: 'allow' | 'deny', reason: string): Record<string, unknown> {
  if (hook === 'PermissionRequest') {
    return { hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: decision, ...(decision === 'deny' ? { message: reason } : {}) } } };
  }
  return { hookSpecificOutput: { hookEventName: hook, permissionDecision: decision, permissionDecisionReason: reason } };
}
