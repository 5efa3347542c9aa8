/**
 * A chart of day series (uPlot, bundled, loaded on first use): lines, or bars side by side, over
 * one label per day, as wide as its box (it follows the box's width). It draws nothing where
 * there is no canvas (jsdom) or before uPlot has loaded: every chart's numbers must also be
 * shown as a table beside it, which is what readers of screen readers and tests read.
 */
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: number[];
  /** A CSS colour. */
  color: string;
}

/** Colours that read on light and dark backgrounds alike, for series without their own. */
export const CHART_COLORS = ['#2f80ed', '#27ae60', '#9b51e0', '#f2994a', '#eb5757', '#56ccf2', '#828282', '#219653', '#bb6bd9'];

/** Whether this browser can draw on a canvas (jsdom cannot). */
function canDraw(): boolean {
  try {
    return typeof ResizeObserver !== 'undefined' && document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

export function Chart({
  labels,
  series,
  kind = 'line',
  height = 220,
  label,
  testId,
}: {
  /** One per value of each series (a day, "9 Dec"). */
  labels: string[];
  series: ChartSeries[];
  kind?: 'line' | 'bar';
  height?: number;
  /** What the chart shows, for screen readers (the table beside it holds the numbers). */
  label: string;
  testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  // The data as one string: a new array of the same numbers draws nothing new.
  const key = JSON.stringify({ labels, series, kind, height });
  useEffect(() => {
    const { labels, series, kind, height } = JSON.parse(key) as { labels: string[]; series: ChartSeries[]; kind: 'line' | 'bar'; height: number };
    const el = box.current;
    if (!el || !canDraw()) return;
    let plot: uPlot | null = null;
    let observer: ResizeObserver | null = null;
    let gone = false;
    void import('./uplot').then(({ default: UPlot }) => {
      if (gone) return;
      const xs = labels.map((_, i) => i);
      const bars = kind === 'bar' ? UPlot.paths.bars : undefined;
      const opts: uPlot.Options = {
        width: Math.max(200, el.clientWidth),
        height,
        scales: { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [
          {
            values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (labels[s] ?? '') : '')),
            space: 48,
            stroke: 'currentColor',
            grid: { show: false },
          },
          { stroke: 'currentColor', values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? String(s) : '')), grid: { stroke: 'rgba(128,128,128,0.2)' } },
        ],
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        series: [
          { value: (_u, v) => (v === null ? '' : (labels[v] ?? '')) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color,
            width: kind === 'bar' ? 1 : 2,
            fill: kind === 'bar' ? s.color : undefined,
            points: { show: kind === 'line' && labels.length <= 31 },
            ...(bars ? { paths: bars({ size: [series.length > 1 ? 0.4 : 0.7, 40], align: series.length === 2 ? (i === 0 ? -1 : 1) : 0 }) } : {}),
          })),
        ],
      };
      plot = new UPlot(opts, [xs, ...series.map((s) => s.values)], el);
      observer = new ResizeObserver(() => plot?.setSize({ width: Math.max(200, el.clientWidth), height }));
      observer.observe(el);
    });
    return () => {
      gone = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [key]);
  return <div ref={box} className="chart" role="img" aria-label={label} data-testid={testId} />;
}
