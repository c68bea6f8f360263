import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';
import { bin, cli, fixtures, killMarked, project, ps } from '../daemon/helpers.js';

// `corral mcp` as Claude Code runs it (`claude mcp add corral -- corral mcp`):
// the built CLI on stdio, spoken to by the MCP SDK's own client, against a real daemon.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function connect(dir: string, args: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'mcp', ...args], cwd: dir, stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } as Record<string, string> });
  const client = new Client({ name: 'corral-test', version: '0.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult & { structuredContent?: Record<string, unknown> }> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult & { structuredContent?: Record<string, unknown> };
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

function config(marker: string): string {
  return `version: 1
bus: { port: 0 }
resources: { interval: 200ms }
components:
  steady:
    command: ["sleep", "600"]
    ready_after: 0s
    env: { MARK: "${marker}", SECRET_THING: "hunter2-${marker}" }
  router:
    command: ["node", "-e", "console.log('routing to upstream'); console.error('Error: upstream refused the connection'); setTimeout(() => process.exit(3), 200)"]
    env: { MARK: "${marker}" }
    restart: { policy: on-failure, max_restarts: 2, backoff: { initial: 100ms, max: 200ms } }
  badcwd:
    command: ls
    cwd: ./does-not-exist
    env: { MARK: "${marker}" }
  chatty:
    command: ["node", "${fixtures}/print-lines.js", "6000", "chatty"]
    restart: { policy: never }
    env: { MARK: "${marker}" }
`;
}

describe('corral mcp', () => {
  it('lists only the read tools without --allow-control, answers each from the real daemon, bounds a 12,000-line log, and masks env values', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker));
    cleanups.push(p.cleanup, () => killMarked(marker));
    await cli(['up', '-d'], p.dir);

    const client = await connect(p.dir);
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(['component_logs', 'get_config', 'list_components', 'query_events', 'recent_errors']);
    for (const t of (await client.listTools()).tools) expect(t.description!.length).toBeGreaterThan(60);

    const list = await call(client, 'list_components');
    expect(list.isError).toBeFalsy();
    const rows = list.structuredContent!.components as Array<{ name: string; state: string; pid: number | null; reason: string | null }>;
    expect(rows.map((r) => r.name)).toEqual(['steady', 'router', 'badcwd', 'chatty']);
    expect(rows[0]!.pid).toBe((await ps(p.dir))[0]!.pid);
    expect(rows.find((r) => r.name === 'badcwd')!.state).toBe('failed');
    expect(text(list)).toContain('badcwd: failed');

    // Why did the router restart? Its last lines and its lifecycle (exit code 3) in one call.
    await waitFor('router gave up', () => ps(p.dir), (l) => l.find((c) => c.name === 'router')!.state === 'failed');
    const logs = await call(client, 'component_logs', { name: 'router', lines: 20 });
    expect(logs.isError).toBeFalsy();
    expect(text(logs)).toContain('Error: upstream refused the connection');
    const lifecycle = logs.structuredContent!.lifecycle as Array<{ event_type: string; payload: { exit_code?: number } }>;
    expect(lifecycle.some((e) => e.event_type === 'component.stopped' && e.payload.exit_code === 3)).toBe(true);

    // A long tail is summarised, not dumped: 12,000 lines asked, 200 shown, the rest counted.
    await waitFor('chatty printed everything', () => ps(p.dir), (l) => l.find((c) => c.name === 'chatty')!.state === 'exited');
    const long = await call(client, 'component_logs', { name: 'chatty', lines: 12_000 });
    const summary = long.structuredContent!.summary as { omitted_lines: number };
    expect((long.structuredContent!.lines as unknown[]).length).toBe(200);
    expect(summary.omitted_lines).toBe(11_800);
    expect(text(long).length).toBeLessThan(40_000);
    expect(text(long)).toMatch(/chatty (?:out|err) 6000/);

    // A name that is not a component name (a path) is refused by the schema.
    const escape = await call(client, 'component_logs', { name: '../../etc/passwd' });
    expect(escape.isError).toBe(true);

    const events = await call(client, 'query_events', { event_type: 'component.started', limit: 2 });
    const evs = events.structuredContent!.events as Array<{ event_type: string }>;
    expect(evs).toHaveLength(2);
    expect(evs.every((e) => e.event_type === 'component.started')).toBe(true);
    const cursor = events.structuredContent!.next_cursor as string;
    expect(cursor).toBeTruthy();
    const older = await call(client, 'query_events', { event_type: 'component.started', limit: 2, cursor });
    expect((older.structuredContent!.events as unknown[]).length).toBeGreaterThan(0);
    const bad = await call(client, 'query_events', { since: 'yesterday-ish' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('since');

    const cfg = await call(client, 'get_config');
    expect(JSON.stringify(cfg)).not.toContain('hunter2');
    expect(JSON.stringify(cfg.structuredContent)).toContain('SECRET_THING');

    const errors = await call(client, 'recent_errors');
    expect(text(errors)).toContain('badcwd');
    expect(text(errors)).toContain('does-not-exist');
  }, 90_000);

  it('with --allow-control restarts a component (new pid) and notifies a resource subscriber; without a daemon it answers errors until one is up', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  steady:
    command: ["sleep", "600"]
    ready_after: 0s
    env: { MARK: "${marker}" }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));

    // Started before the daemon: a clear error, not a crash.
    const client = await connect(p.dir, ['--allow-control']);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['start_component', 'stop_component', 'restart_component', 'reload_config']),
    );
    const down = await call(client, 'list_components');
    expect(down.isError).toBe(true);
    expect(text(down)).toMatch(/corral is not running/);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const before = (await ps(p.dir))[0]!.pid;
    const resources = (await client.listResources()).resources.map((r) => r.uri).sort();
    expect(resources).toEqual(['corral://components', 'corral://errors']);
    const table = await client.readResource({ uri: 'corral://components' });
    expect((table.contents[0] as { text: string }).text).toContain('"steady"');

    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'corral://components' });
    const restarted = await call(client, 'restart_component', { name: 'steady' });
    expect(restarted.isError).toBeFalsy();
    const after = (restarted.structuredContent!.component as { pid: number }).pid;
    expect(after).not.toBe(before);
    expect((await ps(p.dir))[0]!.pid).toBe(after);
    await waitFor('a resource update', () => updated, (u) => u.includes('corral://components'));

    const stopped = await call(client, 'stop_component', { name: 'steady' });
    expect((stopped.structuredContent!.component as { state: string }).state).toBe('stopped');
    const started = await call(client, 'start_component', { name: 'steady' });
    expect(started.isError).toBeFalsy();
    expect((await ps(p.dir))[0]!.state).toMatch(/running|starting/);
    const reloaded = await call(client, 'reload_config');
    expect(reloaded.isError).toBeFalsy();
    expect(reloaded.structuredContent!.ok).toBe(true);

    const unknown = await call(client, 'restart_component', { name: 'nosuch' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('no component named "nosuch"');

    // The daemon goes down and comes back: the same server follows it.
    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect((await call(client, 'list_components')).isError).toBe(true);
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const back = await call(client, 'list_components');
    expect(back.isError).toBeFalsy();
    expect(text(back)).toContain('steady: running');
  }, 90_000);

  it('query_events filters by host (federation on; NATS need not be reachable: local events carry the host)', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const closed = await freePort();
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
federation: { nats: "nats://127.0.0.1:${closed}", host: "mcp-host" }
components:
  steady:
    command: ["sleep", "600"]
    ready_after: 0s
    env: { MARK: "${marker}" }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const client = await connect(p.dir);

    const here = await call(client, 'query_events', { event_type: 'component.started', host: 'mcp-host' });
    expect(here.isError).toBeFalsy();
    const evs = here.structuredContent!.events as Array<{ host?: string }>;
    expect(evs.length).toBeGreaterThan(0);
    expect(evs.every((e) => e.host === 'mcp-host')).toBe(true);
    expect(text(here)).toContain('[corral@mcp-host');
    const elsewhere = await call(client, 'query_events', { event_type: 'component.started', host: 'elsewhere,other' });
    expect(elsewhere.isError).toBeFalsy();
    expect(elsewhere.structuredContent!.events).toEqual([]);
  }, 90_000);

  it('writes nothing but JSON-RPC messages on stdout', async () => {
    const p = project(`version: 1\nbus: { port: 0 }\ncomponents: {}\n`);
    cleanups.push(p.cleanup);
    const child = spawn(process.execPath, [bin, 'mcp'], { cwd: p.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
    const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await waitFor('initialize answered', () => lines.length, (n) => n >= 1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'list_components', arguments: {} } });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } });
    await waitFor('every request answered', () => lines.length, (n) => n >= 4);
    const messages = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; result?: { isError?: boolean }; error?: unknown });
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    // Answers may come in any order (each call runs on its own).
    expect(messages.map((m) => m.id).sort()).toEqual([1, 2, 3, 4]);
    // The daemon is not up: an error result the model can read, not a broken server.
    expect(messages.find((m) => m.id === 3)!.result?.isError).toBe(true);
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  }, 30_000);
});
