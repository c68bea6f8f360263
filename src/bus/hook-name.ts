import { clientEventIssues } from '../schema/publisher-rules.js';
import { hookToEvent } from './hook-event.js';

// Apart from hook-event.ts: the rules pull in the schemas, which `corral hook` (run on every hook) does not load.

const HOOK_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
/** What a hook event name may be, said in errors. */
export const HOOK_NAME_RULE = 'a hook event name is 1 to 128 letters, digits and _.:-';

/** Why `name` cannot be the type of a hook event with this body (invalid, or reserved by corral), or null when it can. */
export function hookNameProblem(name: string, body: unknown): string | null {
  if (!HOOK_NAME.test(name)) return `invalid hook event name ${JSON.stringify(name.slice(0, 140))}: ${HOOK_NAME_RULE}`;
  // A hook is a client too: it may not pass as corral's own events (component.stopped, error.CMP002, …).
  const issues = clientEventIssues(hookToEvent(name, body));
  if (issues.length === 0) return null;
  return `hook event name ${JSON.stringify(name)} refused: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}

/**
 * The event type of a hook sent as `name` with this body: `name` when it can
 * be one, else the body's own `hook_event_name` when that can (Claude Code
 * puts it in every hook's input), else the problem with `name`.
 */
export function resolveHookName(name: string, body: unknown): { ok: true; name: string } | { ok: false; error: string } {
  const problem = hookNameProblem(name, body);
  if (problem === null) return { ok: true, name };
  const own = body !== null && typeof body === 'object' ? (body as { hook_event_name?: unknown }).hook_event_name : undefined;
  if (typeof own === 'string' && own !== name && hookNameProblem(own, body) === null) return { ok: true, name: own };
  return { ok: false, error: problem };
}
