import { describe, expect, it } from 'vitest';
import { browserOpener, dashboardUrl } from '../../../src/cli/dashboard.js';
import { terminalText } from '../../../src/logs/terminal-text.js';

const cleanTerminalText = (text: string) => terminalText(text, false);
import { createSampleHistory } from '../../../src/server/sample-history.js';
import { acceptedEncodings, contentSecurityPolicy } from '../../../src/server/static.js';

describe('the dashboard\u2019s pieces', () => {
  it('keeps the last samples of each component in order, and those after a time', () => {
    const h = createSampleHistory(3);
    for (let t = 1; t <= 5; t++) h.record('a', { cpu_percent: t, memory_mb: t * 10.04 }, t * 1000);
    expect(h.since('a')).toEqual([
      [3000, 3, 30.1],
      [4000, 4, 40.2],
      [5000, 5, 50.2],
    ]);
    expect(h.since('a', 4000)).toEqual([[5000, 5, 50.2]]);
    expect(h.since('nobody')).toEqual([]);
    h.forget('a');
    expect(h.since('a')).toEqual([]);
  });

  it('cleans terminal output as `corral logs` shows it', () => {
    expect(cleanTerminalText('\u001b[1;31mred\u001b[0m plain')).toBe('red plain');
    expect(cleanTerminalText('\u001b]0;title\u0007text')).toBe('text');
    expect(cleanTerminalText('10%\r50%\r100%')).toBe('100%');
    expect(cleanTerminalText('bell\u0007 tab\tkept')).toBe('bell tab\tkept');
  });

  it('reads Accept-Encoding with its weights', () => {
    expect([...acceptedEncodings('gzip, deflate, br')]).toEqual(['gzip', 'deflate', 'br']);
    expect([...acceptedEncodings('br;q=0, gzip;q=0.5')]).toEqual(['gzip']);
    expect([...acceptedEncodings('')]).toEqual([]);
  });

  it('allows the page nothing but its own origin and the bus it was loaded from', () => {
    const csp = contentSecurityPolicy('127.0.0.1:4000');
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4000");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe|\*/);
  });

  it('`corral dashboard` puts the token in the fragment and opens a browser only where there is a display', () => {
    expect(dashboardUrl('http://127.0.0.1:4000', 'ab/c')).toBe('http://127.0.0.1:4000/#token=ab%2Fc');
    expect(dashboardUrl('http://127.0.0.1:4000/', null)).toBe('http://127.0.0.1:4000/');
    expect(browserOpener({}, 'linux')).toBeNull();
    expect(browserOpener({ DISPLAY: ':0' }, 'linux')).toEqual(['xdg-open']);
    expect(browserOpener({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toEqual(['xdg-open']);
    expect(browserOpener({ BROWSER: 'firefox' }, 'linux')).toEqual(['firefox']);
    expect(browserOpener({}, 'darwin')).toEqual(['open']);
  });
});
