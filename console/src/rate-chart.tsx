import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
  values: number[];
}

const WINDOW_SECONDS = 180;

/** A small live line chart (uPlot) of a few series over the same time axis (seconds). */
export function RateChart(props: { title: string; times: number[]; series: Series[]; format: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!box.current) return;
    plot.current = new uPlot(
      {
        width: box.current.clientWidth || 560,
        height: 200,
        legend: { show: true },
        scales: {
          // The last three minutes, whatever has been sampled yet; rates from zero up.
          x: { time: true, range: (_u, _min, max) => [max - WINDOW_SECONDS, max] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        },
        axes: [
          { stroke: '#94a3b8', grid: { stroke: '#1e293b' }, values: (_u, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString('en-GB')) },
          { stroke: '#94a3b8', grid: { stroke: '#334155' }, size: 96, values: (_u, ticks) => ticks.map(props.format) },
        ],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.format(v)) }))],
      },
      [props.times, ...props.series.map((s) => s.values)],
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => {
    plot.current?.setData([props.times, ...props.series.map((s) => s.values)]);
  }, [props.times, props.series]);
  const latest = props.series.map((s) => s.values.at(-1));
  return (
    <div class="chart" data-latest={latest.map((v) => v ?? '').join(' ')}>
      <h3>{props.title}</h3>
      <p class="now muted">
        {props.series.map((s, i) => `${s.label} now: ${latest[i] === undefined ? '—' : props.format(latest[i])}`).join(' · ')}
      </p>
      <div ref={box} />
    </div>
  );
}
