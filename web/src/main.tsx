import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.js';
import { connectBus } from './bus.js';
import { takeTokenFromUrl } from './core.js';
import { componentsChanged, pollComponents, takeFirstView } from './model/components.js';
import { streamEvent } from './model/events.js';
import { sessionEvent, loadSessions } from './model/sessions.js';
import { loadTimeline, timelineEvent } from './model/timeline.js';

// Marks for bench/dashboard-first.js (where the first view's time goes).
performance.mark('corral:main');

// First of all: the token leaves the address bar (and the history) before anything can read it.
takeTokenFromUrl();

// The table first (the first view). The daemon usually puts it into the page (src/server/static.ts):
// the first render has the rows, and the samples are read once they are drawn. Else its request
// leaves before the page renders. The history the other views read waits for it (the daemon
// answers one request at a time).
const inPage = takeFirstView();
const first = inPage ? null : pollComponents(2000);
render(<App />, document.getElementById('app')!);
performance.mark('corral:rendered');
connectBus({
  onEvent(e) {
    streamEvent(e);
    timelineEvent(e);
    sessionEvent(e);
    if (e.event_type.startsWith('component.') || e.event_type === 'config.changed' || e.event_type === 'error.CMP002') componentsChanged();
  },
});
const afterFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => window.setTimeout(resolve, 0)));
void (first ?? afterFrame().then(() => pollComponents(2000))).finally(() => {
  void loadTimeline();
  void loadSessions();
});
