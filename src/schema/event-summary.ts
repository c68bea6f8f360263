/**
 * One-line summaries of events, shared by `corral events` (src/cli/event-line.ts),
 * `corral monitor` (src/monitor/render.ts) and the dashboard (web/src/ui/events-view.tsx):
 * pure functions of an event, so the web app can bundle them.
 */
import type { CorralEvent } from './events.js';
import { summarizeConfigChanged } from '../util/display.js';

export { summarizeConfigChanged };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** `3.2s`, `4m5s`: how long a connection lasted. */
function seconds(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || ms < 0) return undefined;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${Math.floor(s % 60)}s`;
}

/**
 * `web crashed (exit code 1) · restarts 2 · next restart in 1.5s · cause: …`:
 * a component.stopped event on one line.
 */
export function summarizeStopped(p: Record<string, unknown>): string {
  const how = typeof p.signal === 'string' && p.signal ? `signal ${p.signal}` : typeof p.exit_code === 'number' ? `exit code ${p.exit_code}` : '';
  const parts = [`${[str(p.component), str(p.reason)].filter(Boolean).join(' ')}${how ? ` (${how})` : ''}`];
  if (typeof p.restarts === 'number' && p.restarts > 0) parts.push(`restarts ${p.restarts}`);
  if (typeof p.next_restart_in_ms === 'number') parts.push(`next restart in ${(p.next_restart_in_ms / 1000).toFixed(1)}s`);
  if (str(p.error)) parts.push(str(p.error)!);
  if (str(p.cause)) parts.push(`cause: ${str(p.cause)}`);
  return parts.join(' · ');
}

/** `client c1 (web) from 127.0.0.1 on /ws`, `client c1 closed (1000 bye) after 3.2s`. */
function summarizeWs(type: string, p: Record<string, unknown>): string {
  const who = `client ${str(p.client_id) ?? '?'}${str(p.component) ? ` (${str(p.component)})` : ''}`;
  if (type === 'ws.connected') return [who, str(p.remote_address) ? `from ${str(p.remote_address)}` : '', str(p.path) ? `on ${str(p.path)}` : ''].filter(Boolean).join(' ');
  const code = [str(p.code), str(p.reason)].filter(Boolean).join(' ');
  const after = seconds(p.duration_ms);
  return `${who} closed${code ? ` (${code})` : ''}${after ? ` after ${after}` : ''}`;
}

/** `corral window 2:shell added`. */
function summarizeTmux(p: Record<string, unknown>): string | undefined {
  const w = p.window as { index?: unknown; name?: unknown } | undefined;
  const window = w && typeof w === 'object' && str(w.name) ? `window ${str(w.index) ?? '?'}:${str(w.name)}` : undefined;
  const parts = [str(p.session), window, str(p.change)].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** A one-line description of what the event is about, from the fields each kind of event has. */
export function summarizeEvent(e: CorralEvent): string {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  if (e.summary) return e.summary;
  if (e.event_type.startsWith('error.')) return [str(p.component), str(p.error_message)].filter(Boolean).join(': ');
  if (e.event_type === 'component.stopped') return summarizeStopped(p);
  if (e.event_type === 'component.health') {
    const was = str(p.previous) ? ` (was ${str(p.previous)})` : '';
    return `${[str(p.component), str(p.status)].filter(Boolean).join(' ')}${was}${str(p.detail) ? `: ${str(p.detail)}` : ''}`;
  }
  if (e.event_type === 'component.leftovers_ended' && Array.isArray(p.components)) return `ended what the previous daemon left: ${p.components.join(', ')}`;
  if (e.event_type.startsWith('component.')) {
    const detail = str(p.reason) ?? str(p.status) ?? (p.pid !== undefined && p.pid !== null ? `pid ${String(p.pid)}` : undefined);
    const generation = typeof p.generation === 'number' && p.generation > 1 ? ` (run ${p.generation})` : '';
    return [str(p.component), detail].filter(Boolean).join(' ') + generation;
  }
  if (e.event_type === 'config.changed') return summarizeConfigChanged(p);
  if (e.event_type === 'resource.alert') {
    const head = [str(p.component), str(p.alert_level)].filter(Boolean).join(' ');
    return [head, str(p.message)].filter(Boolean).join(': ');
  }
  if (e.event_type === 'ws.connected' || e.event_type === 'ws.disconnected') return summarizeWs(e.event_type, p);
  if (e.event_type.startsWith('tmux.')) {
    const tmux = summarizeTmux(p);
    if (tmux) return tmux;
  }
  if (p.tool_name !== undefined) {
    const input = (p.tool_input ?? {}) as Record<string, unknown>;
    const arg = str(input.command) ?? str(input.file_path) ?? str(input.pattern) ?? str(input.query) ?? str(input.url) ?? '';
    return `${String(p.tool_name)}${arg ? ` ${arg}` : ''}`;
  }
  const text = str(p.prompt) ?? str(p.message) ?? str(p.component);
  if (text) return text;
  const json = JSON.stringify(p);
  return json === '{}' ? '' : json;
}
