import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { cssVar, onThemeChange } from '../theme';

/** One line of a chart. */
export interface ChartLine {
  label: string;
  values: (number | null)[];
  /** Index into the palette (`--series-N` of the stylesheet). */
  color: number;
  dashed?: boolean;
  /** Values only where something happened (nulls elsewhere): joined across gaps, each point drawn. */
  sparse?: boolean;
}

/** Colours in the palette (`--series-0` … `--series-10`). */
export const PALETTE_SIZE = 11;
const HEIGHT = 220;

/**
 * A time-series line chart drawn by uPlot: `xs` in epoch seconds, one line per entry, the
 * legend below (a table the keyboard and screen readers reach). Redrawn in the colours of
 * the theme whenever it changes; follows the width of its container.
 */
export function LineChart({ title, xs, lines, format }: { title: string; xs: number[]; lines: ChartLine[]; format(value: number): string }) {
  const box = useRef<HTMLDivElement>(null);
  const [theme, setTheme] = useState(0);
  useEffect(() => onThemeChange(() => setTheme((t) => t + 1)), []);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 64, values: (_u, values) => values.map((v) => format(v)) }],
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: cssVar(`--series-${line.color % PALETTE_SIZE}`),
          width: 2,
          dash: line.dashed ? [6, 4] : undefined,
          spanGaps: line.sparse === true,
          // Points mark the values when there are few: a sparse line's lone values, a short window's buckets.
          points: { show: (line.sparse ? line.values.filter((v) => v !== null).length : xs.length) < 60 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        })),
      ],
    };
    const chart = new uPlot(options, [xs, ...lines.map((line) => line.values)], element);
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(280, element.clientWidth), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [xs, lines, theme, format]);
  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
