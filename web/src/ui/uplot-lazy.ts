import type uPlot from 'uplot';

let loading: Promise<typeof uPlot> | null = null;

/**
 * uPlot, loaded the first time a chart is drawn: its own chunk (half of the
 * page's script), so the first view (the component table) is parsed and
 * drawn without it (bench/dashboard-first.js).
 */
export function loadUPlot(): Promise<typeof uPlot> {
  loading ??= import('uplot').then((m) => m.default);
  return loading;
}
