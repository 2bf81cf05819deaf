import type { BroadcastTimeline } from '../api/api-types.ts';
import { pathOf, scaleTimeline, TIMELINE_SERIES } from './timeline-scale.ts';

/** The plot area, in SVG units; the margins hold the axes' labels. */
const PLOT = { width: 560, height: 180 };
const MARGIN = { left: 44, right: 12, top: 10, bottom: 26 };

const timeOf = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function durationOf(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** Sent, delivered, read and failed over time, as running totals: hand-drawn SVG, no chart library. */
export function DeliveryChart({ timeline }: { timeline: BroadcastTimeline | null }) {
  const chart = timeline ? scaleTimeline(timeline, PLOT) : null;
  if (!timeline || !chart) return <p className="muted">Nothing sent yet: the chart starts with the first message.</p>;
  const width = PLOT.width + MARGIN.left + MARGIN.right;
  const height = PLOT.height + MARGIN.top + MARGIN.bottom;
  return (
    <figure className="delivery-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Delivery over time: ${TIMELINE_SERIES.map((s) => `${chart.totals[s]} ${s}`).join(', ')}`}>
        <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
          {chart.yTicks.map((tick) => (
            <g key={tick.value} className="chart-grid">
              <line x1={0} x2={PLOT.width} y1={tick.at} y2={tick.at} />
              <text x={-6} y={tick.at} dy="0.32em" textAnchor="end">
                {tick.value}
              </text>
            </g>
          ))}
          <text className="chart-axis" x={0} y={PLOT.height + 18}>
            {timeOf(chart.startMs)}
          </text>
          <text className="chart-axis" x={PLOT.width} y={PLOT.height + 18} textAnchor="end">
            {timeOf(chart.endMs)}
          </text>
          {TIMELINE_SERIES.map((series) => (
            <path key={series} className={`chart-line series-${series}`} d={pathOf(chart.lines[series])} data-series={series} />
          ))}
        </g>
      </svg>
      <figcaption className="chart-legend">
        {TIMELINE_SERIES.map((series) => (
          <span key={series} className={`legend-${series}`}>
            <span className="swatch" aria-hidden="true" /> {series} {chart.totals[series]}
          </span>
        ))}
        <span className="muted"> · running totals in steps of {durationOf(timeline.bucketSeconds)}</span>
      </figcaption>
    </figure>
  );
}
