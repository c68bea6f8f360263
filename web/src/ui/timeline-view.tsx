import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { cssVar, fmtTime, listen, useTopics } from '../core.js';
import { describe, isAlert, planText, severity, timeline } from '../model/timeline.js';
import type { CorralEvent } from '../types.js';
import { loadUPlot } from './uplot-lazy.js';

const LANES = ['started', 'stopped', 'health', 'alerts', 'config', 'errors'];

/** The series of the chart: which lane, which colour, which events. */
const SERIES: Array<{ label: string; lane: number; color: string; test(e: CorralEvent): boolean }> = [
  { label: 'started', lane: 0, color: '--ok', test: (e) => e.event_type === 'component.started' },
  { label: 'stopped', lane: 1, color: '--muted', test: (e) => e.event_type === 'component.stopped' && severity(e) === 'muted' },
  { label: 'crashed', lane: 1, color: '--critical', test: (e) => e.event_type === 'component.stopped' && severity(e) !== 'muted' },
  { label: 'healthy', lane: 2, color: '--ok', test: (e) => e.event_type === 'component.health' && severity(e) === 'ok' },
  { label: 'unhealthy', lane: 2, color: '--warning', test: (e) => e.event_type === 'component.health' && severity(e) !== 'ok' },
  { label: 'alert info', lane: 3, color: '--info', test: (e) => e.event_type === 'resource.alert' && severity(e) === 'info' },
  { label: 'alert warning', lane: 3, color: '--warning', test: (e) => e.event_type === 'resource.alert' && severity(e) === 'warning' },
  { label: 'alert critical', lane: 3, color: '--critical', test: (e) => e.event_type === 'resource.alert' && severity(e) === 'critical' },
  { label: 'config', lane: 4, color: '--purple', test: (e) => e.event_type === 'config.changed' },
  { label: 'error', lane: 5, color: '--critical', test: (e) => e.event_type.startsWith('error.') },
];

const SPANS = [
  { label: '5m', ms: 300_000 },
  { label: '15m', ms: 900_000 },
  { label: '1h', ms: 3_600_000 },
];
/** `fit`: from the first event of the last hour to now (at least a minute). */
type Span = number | 'fit' | null;

function fitSpan(now: number): number {
  const first = timeline.events.find((e) => e.timestamp >= now - 3_600_000);
  if (!first) return 300_000;
  return Math.min(3_600_000, Math.max(60_000, (now - first.timestamp) * 1.1));
}

/** A tick's time: with seconds under a 10-minute span. */
function clock(seconds: number, span: number): string {
  const text = fmtTime(seconds * 1000);
  return span < 600 ? text : text.slice(0, 5);
}

function toData(events: CorralEvent[]): uPlot.AlignedData {
  const xs = new Array<number>(events.length);
  const ys = SERIES.map(() => new Array<number | null>(events.length).fill(null));
  events.forEach((e, i) => {
    xs[i] = e.timestamp / 1000;
    const k = SERIES.findIndex((s) => s.test(e));
    if (k >= 0) ys[k]![i] = SERIES[k]!.lane;
  });
  return [xs, ...ys];
}

/** Starts, stops, health changes, alerts, config changes and errors of the last hour on one zoomable canvas. */
export function TimelineChart({ theme }: { theme: string }) {
  // For the line under the chart (empty or not); the chart itself follows the events on its own.
  useTopics('timeline');
  const host = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<CorralEvent | null>(null);
  const [span, setSpan] = useState<Span>('fit');
  const spanRef = useRef(span);
  spanRef.current = span;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let stop: (() => void) | null = null;
    let gone = false;
    void loadUPlot().then((UPlot) => {
      if (gone) return;
      const grid = { stroke: cssVar('--grid'), width: 1 };
      const axisColor = cssVar('--muted');
      const u = new UPlot(
        {
          width: Math.max(300, el.clientWidth),
          height: 180,
          legend: { show: false },
          cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
          scales: { x: { time: true }, y: { range: [-0.6, LANES.length - 0.4] } },
          axes: [
            // One line per tick (uPlot's default adds a date line that collides at phone width).
            { stroke: axisColor, grid, ticks: grid, space: 64, values: (u, splits) => splits.map((t) => clock(t, (u.scales.x!.max ?? 0) - (u.scales.x!.min ?? 0))) },
            { stroke: axisColor, grid, ticks: grid, size: 64, splits: () => LANES.map((_, i) => i), values: (_u, splits) => splits.map((i) => LANES[i] ?? '') },
          ],
          series: [
            {},
            ...SERIES.map((s) => ({
              label: s.label,
              stroke: cssVar(s.color),
              paths: () => null,
              points: { show: true, size: 8, width: 1, fill: cssVar(s.color), stroke: cssVar(s.color) },
            })),
          ],
          hooks: {
            setCursor: [
              (u) => {
                const i = u.cursor.idx;
                setHover(i === null || i === undefined ? null : (timeline.events[i] ?? null));
              },
            ],
            setSelect: [
              (u) => {
                if (u.select.width > 0) setSpan(null);
              },
            ],
          },
        },
        toData(timeline.events),
        el,
      );
      const follow = () => {
        u.setData(toData(timeline.events), false);
        const chosen = spanRef.current;
        if (chosen !== null) {
          const now = Date.now();
          const s = chosen === 'fit' ? fitSpan(now) : chosen;
          u.setScale('x', { min: (now - s) / 1000, max: (now + s / 60) / 1000 });
        }
      };
      follow();
      const off = listen('timeline', follow);
      const tick = window.setInterval(follow, 5000);
      const ro = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: 180 }));
      ro.observe(el);
      (el as HTMLDivElement & { follow?: () => void }).follow = follow;
      stop = () => {
        off();
        window.clearInterval(tick);
        ro.disconnect();
        u.destroy();
      };
    });
    return () => {
      gone = true;
      stop?.();
    };
  }, [theme]);

  useEffect(() => {
    (host.current as (HTMLDivElement & { follow?: () => void }) | null)?.follow?.();
  }, [span]);

  return (
    <>
      <div class="span-tools">
        <button class={`btn ${span === 'fit' ? 'on' : ''}`} onClick={() => setSpan('fit')} title="from the first event of the last hour to now">
          fit
        </button>
        {SPANS.map((s) => (
          <button key={s.label} class={`btn ${span === s.ms ? 'on' : ''}`} onClick={() => setSpan(s.ms)}>
            {s.label}
          </button>
        ))}
        <span class="count">{span === null ? 'zoomed: pick a span to follow now again' : 'drag across the chart to zoom'}</span>
      </div>
      <div class="timeline-chart" ref={host} />
      <div class="timeline-hover">{hover ? `${fmtTime(hover.timestamp)}  ${describe(hover)}` : timeline.events.length > 0 ? 'point at a dot to see what happened' : 'nothing has happened yet: starts, stops, health changes and alerts appear here'}</div>
    </>
  );
}

interface Group {
  key: string;
  first: CorralEvent;
  last: CorralEvent;
  count: number;
}

/** What makes two rows the same story: a crash loop is one row with its count, not a screenful. */
function groupKey(e: CorralEvent): string {
  const p = e.payload as Record<string, unknown>;
  return `${e.event_type}|${String(p.component ?? '')}|${String(p.reason ?? p.alert_level ?? p.error_code ?? '')}|${String(p.exit_code ?? '')}`;
}

/** Alerts, errors and crashes, newest first, in their colour (a run of the same one folded into one row); and the last config plan. */
export function AlertsList() {
  useTopics('timeline');
  const groups: Group[] = [];
  for (let i = timeline.events.length - 1; i >= 0 && groups.length < 100; i--) {
    const e = timeline.events[i]!;
    if (!isAlert(e) && !(e.event_type === 'component.stopped' && severity(e) === 'critical')) continue;
    const key = groupKey(e);
    const g = groups[groups.length - 1];
    if (g && g.key === key) {
      g.first = e;
      g.count++;
    } else groups.push({ key, first: e, last: e, count: 1 });
  }
  const cfg = timeline.lastConfig;
  return (
    <>
      <div class="alerts">
        {groups.length === 0 && <div class="empty">{timeline.loaded ? 'No alerts, crashes or errors in the last hour.' : 'Reading the last hour…'}</div>}
        {groups.map(({ first, last: e, count }) => {
          const sev = severity(e);
          const p = e.payload as Record<string, unknown>;
          const alert = isAlert(e);
          return (
            <div key={e.id} class="alert-row" data-testid={alert ? 'alert-row' : 'crash-row'} data-level={sev} data-event-type={e.event_type} data-count={count}>
              <span class="mono">{fmtTime(e.timestamp)}</span>
              <span class={`acomp sev-${sev}`}>{String(p.component ?? '')}</span>
              <span class={`sev-${sev}`}>
                {describe(e)}
                {count > 1 && <span class="times"> ×{count} since {fmtTime(first.timestamp)}</span>}
              </span>
            </div>
          );
        })}
      </div>
      <div class="plan" data-testid="config-plan">
        {cfg ? (
          <>
            <b>Last config change</b> {fmtTime(cfg.timestamp)}: {planText(cfg.payload as Record<string, unknown>)}
          </>
        ) : (
          'No config change since the history began.'
        )}
      </div>
    </>
  );
}
