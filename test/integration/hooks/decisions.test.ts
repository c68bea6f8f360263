import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProject, until } from './daemon.js';

type Project = Awaited<ReturnType<typeof startProject>>;
let p: Project;

beforeAll(async () => {
  p = await startProject(`version: 1
bus: { port: 0 }
resources: { enabled: false }
hooks:
  deny:
    - { tool: Bash, match: "rm -rf" }
    - { tool: "*", match: "/\\\\.env$/", reason: "no secrets" }
  ask:
    - { tool: Bash, match: "git push" }
  ask_timeout: 4s
`);
}, 60_000);
afterAll(async () => p?.cleanup(), 60_000);

const bash = (command: string, session = 'sess-1') => ({ session_id: session, hook_event_name: 'PreToolUse', cwd: '/tmp/proj', tool_name: 'Bash', tool_input: { command } });
const pending = async () => JSON.parse((await p.cli(['decisions', '--json'])).stdout) as { decision_id: string; session_id: string; input: string }[];

describe('hook decisions through the real daemon and the built CLI', () => {
  it('a hook no rule matches gets {} and no decision event; a deny rule answers a block decision with its reason', async () => {
    const free = await p.hook('PreToolUse', bash('ls -la'));
    expect(free.status).toBe(202);
    expect(free.text).toBe('{}');
    const denied = await p.hook('PreToolUse', bash('rm -rf /tmp/x'));
    expect(denied.status).toBe(200);
    expect(JSON.parse(denied.text)).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'corral: Bash refused by hooks.deny[0]' } });
    const regex = await p.hook('PermissionRequest', { session_id: 's', tool_name: 'Read', tool_input: { file_path: '/srv/app/.env' } });
    expect(JSON.parse(regex.text)).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'no secrets' } } });
    const made = await p.events('hook.decision.made');
    expect(made.map((e) => [e.payload.rule, e.payload.decision, e.payload.by])).toEqual([
      ['deny[0]', 'deny', 'rule'],
      ['deny[1]', 'deny', 'rule'],
    ]);
  });

  it('an ask rule holds a `git push` until `corral approve`, answered with an explicit allow', async () => {
    const held = p.hook('PreToolUse', bash('git push origin main', 'sess-approve'));
    const [d] = await until('the decision to be pending', pending, (l) => l.some((x) => x.session_id === 'sess-approve'));
    expect(d!.input).toContain('git push origin main');
    const listed = await p.cli(['decisions']);
    expect(listed.stdout).toContain(d!.decision_id);
    expect(listed.stdout).toContain('Bash (PreToolUse, ask[0])');
    const approve = await p.cli(['approve', d!.decision_id]);
    expect(approve.code).toBe(0);
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'allow', permissionDecisionReason: 'approved with corral approve' } });
    const pend = (await p.events('hook.decision.pending')).find((e) => e.payload.decision_id === d!.decision_id);
    expect(pend?.payload).toMatchObject({ tool: 'Bash', rule: 'ask[0]', session_id: 'sess-approve' });
    const made = (await p.events('hook.decision.made')).find((e) => e.payload.decision_id === d!.decision_id);
    expect(made?.payload).toMatchObject({ decision: 'allow', by: 'user' });
    expect((await p.cli(['approve', d!.decision_id])).code).toBe(2);
  });

  it('`corral hook` (a command hook) waits for the decision and prints it: corral deny --reason reaches Claude Code', async () => {
    const run = p.hookProcess('PreToolUse', bash('git push --force', 'sess-deny'));
    const [d] = await until('the decision to be pending', pending, (l) => l.some((x) => x.session_id === 'sess-deny'));
    const deny = await p.cli(['deny', d!.decision_id, '--reason', 'not on a Friday']);
    expect(deny.code).toBe(0);
    const out = await run.done;
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'not on a Friday' } });
  });

  it('many pending at once, each with its own timer: the default (allow) applies at the timeout, and /health answers meanwhile', async () => {
    const started = Date.now();
    const all = Array.from({ length: 20 }, (_, i) => p.hook('PreToolUse', bash(`git push r${i}`, `sess-many-${i}`)));
    await until('20 pending', pending, (l) => l.filter((x) => x.session_id.startsWith('sess-many-')).length === 20);
    const t = Date.now();
    const health = await fetch(`${p.url}/health`);
    expect(health.status).toBe(200);
    expect(Date.now() - t).toBeLessThan(1000);
    const answers = await Promise.all(all);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3900);
    for (const a of answers) expect(JSON.parse(a.text).hookSpecificOutput).toMatchObject({ permissionDecision: 'allow', permissionDecisionReason: expect.stringMatching(/no answer within 4 s/) as unknown });
    const made = (await p.events('hook.decision.made')).filter((e) => String(e.payload.session_id).startsWith('sess-many-'));
    expect(made).toHaveLength(20);
    expect(new Set(made.map((e) => e.payload.by))).toEqual(new Set(['timeout']));
    expect(await pending()).toEqual([]);
  });

  it('a client that goes away ends its pending decision; the CLI refuses bad usage', async () => {
    const ctl = new AbortController();
    const held = p.hook('PreToolUse', bash('git push gone', 'sess-gone'), ctl.signal).catch(() => null);
    await until('pending', pending, (l) => l.some((x) => x.session_id === 'sess-gone'));
    ctl.abort();
    await held;
    await until('no longer pending', pending, (l) => !l.some((x) => x.session_id === 'sess-gone'));
    const made = (await p.events('hook.decision.made')).find((e) => e.payload.session_id === 'sess-gone');
    expect(made?.payload.by).toBe('client_gone');
    expect((await p.cli(['approve'])).code).toBe(2);
    const unknown = await p.cli(['deny', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no pending decision "nope"/);
  });
});
