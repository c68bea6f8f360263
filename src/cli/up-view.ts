import type { Daemon } from '../daemon/daemon.js';
import { useColor } from './args.js';
import { paint, renderComponents } from './format.js';

/**
 * The live view of a foreground `corral up`: on a terminal, the component
 * table redrawn in place every second and on every component event; otherwise
 * one line per component/config/alert/error event.
 */
export function showLiveStatus(daemon: Daemon): () => void {
  const color = useColor();
  const tty = Boolean(process.stdout.isTTY);
  if (!tty) {
    const off = daemon.bus.subscribe({ event_type: 'component.*,config.changed,resource.alert,error.*,tmux.*' }, (entry) => {
      const e = entry.event;
      const p = e.payload as Record<string, unknown>;
      const detail = Object.entries(p)
        .filter(([k]) => k !== 'component')
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' ');
      process.stdout.write(`${new Date(e.timestamp).toISOString()} ${e.event_type} ${String(p.component ?? '')} ${detail}\n`);
    });
    return off;
  }
  let lastLines = 0;
  let scheduled = false;
  const draw = () => {
    scheduled = false;
    const text = renderComponents(daemon.controller.list(), color) + paint(`bus ws://${daemon.info.host}:${daemon.info.port}${daemon.config.bus.path} · Ctrl-C stops everything`, 'gray', color) + '\n';
    // From column 0 first: the terminal's `^C` echo (or a stray keystroke) left the cursor past it,
    // and moving up keeps the column (the header then read `NANAME`).
    const up = lastLines > 0 ? `\x1b[${lastLines}A` : '';
    process.stdout.write(`\r${up}\x1b[0J${text}`);
    lastLines = text.split('\n').length - 1;
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setTimeout(draw, 100).unref();
    }
  };
  const off = daemon.bus.subscribe({ event_type: 'component.*,resource.alert' }, schedule);
  const timer = setInterval(draw, 1000);
  timer.unref();
  draw();
  return () => {
    off();
    clearInterval(timer);
  };
}
