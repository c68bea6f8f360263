import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import { cssVar } from '../core.js';
import type { ResourcePoint } from '../types.js';
import { loadUPlot } from './uplot-lazy.js';

const WIDTH = 120;
const HEIGHT = 28;

/** CPU (% scale) and memory (MB scale) of one component's recent samples, on one small canvas. */
export function Spark({ points, theme }: { points: ResourcePoint[]; theme: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  // The latest points, for a chart drawn once uPlot has loaded.
  const latest = useRef(points);
  latest.current = points;

  useEffect(() => {
    let u: uPlot | null = null;
    let gone = false;
    void loadUPlot().then((UPlot) => {
      if (gone || !host.current) return;
      u = new UPlot(
        {
          width: WIDTH,
          height: HEIGHT,
          pxAlign: false,
          cursor: { show: false },
          select: { show: false, left: 0, top: 0, width: 0, height: 0 },
          legend: { show: false },
          padding: [2, 0, 2, 0],
          scales: {
            x: { time: false },
            cpu: { range: (_u, _min, max) => [0, Math.max(5, max ?? 0)] },
            mb: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
          },
          axes: [{ show: false }, { show: false, scale: 'cpu' }],
          series: [
            {},
            { scale: 'cpu', stroke: cssVar('--cpu'), width: 1.5, points: { show: false } },
            { scale: 'mb', stroke: cssVar('--mem'), width: 1.5, points: { show: false } },
          ],
        },
        toData(latest.current),
        host.current,
      );
      plot.current = u;
    });
    return () => {
      gone = true;
      u?.destroy();
      plot.current = null;
    };
  }, [theme]);

  useEffect(() => {
    plot.current?.setData(toData(points));
  }, [points, points.length, points[points.length - 1]?.[0]]);

  return <div class="spark-canvas" ref={host} aria-hidden="true" />;
}

function toData(points: ResourcePoint[]): uPlot.AlignedData {
  const xs: number[] = [];
  const cpu: number[] = [];
  const mem: number[] = [];
  for (const p of points) {
    xs.push(p[0] / 1000);
    cpu.push(p[1]);
    mem.push(p[2]);
  }
  return [xs, cpu, mem];
}
