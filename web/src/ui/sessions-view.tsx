import { memo } from 'preact/compat';
import { fmtDuration, fmtTime, useTopics } from '../core.js';
import { sessions, type Item, type Session } from '../model/sessions.js';

function itemTitle(i: Item): string {
  const when = fmtTime(i.at);
  if (i.kind === 'tool') {
    const took = i.endedAt !== undefined ? ` (${fmtDuration(i.endedAt - i.at).replace(/^0s$/, '<1s')})` : ' (running)';
    return `${when} ${i.label}${took}${i.failed ? ' — failed' : ''}`;
  }
  return `${when} ${i.label}`;
}

/** Marks shown per lane (the newest); the counts in the head cover them all. */
const SHOWN = 60;

const Lane = memo(
  function Lane({ s }: { s: Session; version: number }) {
    const shown: Item[] = [];
    for (let i = s.items.length - 1; i >= 0 && shown.length < SHOWN; i--) shown.push(s.items[i]!);
  return (
    <div class="session-lane" data-testid="session-lane" data-session={s.id}>
      <div class="lane-head">
        <span class="sid" title={s.id}>
          {s.id.length > 18 ? `${s.id.slice(0, 8)}…${s.id.slice(-6)}` : s.id}
        </span>
        <span class="meta">{s.app}</span>
        {s.model && <span class="meta">{s.model}</span>}
        <span class="meta">
          {s.prompts} prompt{s.prompts === 1 ? '' : 's'} · {s.tools} tool call{s.tools === 1 ? '' : 's'}
          {s.failures > 0 && <span class="sev-critical"> · {s.failures} failed</span>}
        </span>
        <span class="meta" style={{ marginLeft: 'auto' }}>
          {s.ended ? 'ended' : 'last'} {fmtTime(s.last)}
        </span>
      </div>
      <div class="lane-items">
        {shown.map((i) => (
          <span key={i.id} class={`chip ${i.kind} ${i.open ? 'open' : ''} ${i.failed ? 'failed' : ''}`} title={itemTitle(i)} data-kind={i.kind}>
            {i.kind === 'prompt' ? `“${i.label}”` : i.label}
          </span>
        ))}
      </div>
    </div>
  );
  },
  (a, b) => a.s === b.s && a.version === b.version,
);

/** One lane per Claude Code session of the last day, newest first. */
export function SessionsView() {
  useTopics('sessions');
  if (sessions.order.length === 0) {
    return (
      <div class="empty">
        {sessions.loaded ? (
          <>
            No Claude Code session in the last day. Hooks reach corral through <code>corral hook</code> or an <code>http</code> hook to <code>/hooks/EVENT</code> (docs/hooks.md).
          </>
        ) : (
          'Reading the last day…'
        )}
      </div>
    );
  }
  return (
    <div class="lanes">
      {sessions.order.map((s) => (
        <Lane key={s.id} s={s} version={s.version} />
      ))}
    </div>
  );
}
