import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.js';
import { connectBus } from './bus.js';
import { takeTokenFromUrl } from './core.js';
import { componentsChanged, pollComponents } from './model/components.js';
import { streamEvent } from './model/events.js';
import { sessionEvent, loadSessions } from './model/sessions.js';
import { loadTimeline, timelineEvent } from './model/timeline.js';

// First of all: the token leaves the address bar (and the history) before anything can read it.
takeTokenFromUrl();

// The table first (the first view): its request leaves before the page renders, and the history
// the other views read waits for it (the daemon answers one request at a time).
const first = pollComponents(2000);
render(<App />, document.getElementById('app')!);
connectBus({
  onEvent(e) {
    streamEvent(e);
    timelineEvent(e);
    sessionEvent(e);
    if (e.event_type.startsWith('component.') || e.event_type === 'config.changed' || e.event_type === 'error.CMP002') componentsChanged();
  },
});
void first.finally(() => {
  void loadTimeline();
  void loadSessions();
});
