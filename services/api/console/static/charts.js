// Two inline SVG charts drawn from the API's execution summary (aggregates over the windows they are
// labelled with, whatever the number of runs): duration percentiles per job, and outcomes per hour or day.
import { h, replaceChildren, s } from './dom.js';
import { formatBucket, formatDuration, toMillis } from './format.js';
import { t } from './i18n.js';
import { state } from './state.js';

const KINDS = ['success', 'failed', 'other'];
const barClass = (kind) => `bar bar-${kind}`;
const kindOf = (status) => (status === 'success' || status === 'failed' ? status : 'other');
const chartView = { unit: 'hour' };

export function renderCharts(durationsContainer, outcomesContainer, summary) {
  if (!summary) {
    replaceChildren(durationsContainer, h('p', { class: 'muted empty' }, t('charts.empty')));
    replaceChildren(outcomesContainer, h('p', { class: 'muted empty' }, t('charts.empty')));
    return;
  }
  replaceChildren(durationsContainer, summary.durations.length ? durationChart(summary.durations)
    : h('p', { class: 'muted empty' }, t('charts.empty')));
  const redraw = () => renderCharts(durationsContainer, outcomesContainer, summary);
  replaceChildren(outcomesContainer, unitSwitch(redraw), outcomeChart(chartView.unit === 'hour' ? summary.hourly : summary.daily));
}

function unitSwitch(redraw) {
  const option = (unit) => h('button', { type: 'button', class: `small ${chartView.unit === unit ? 'primary' : 'ghost'}`,
    'aria-pressed': String(chartView.unit === unit), 'data-unit': unit,
    onclick: () => { chartView.unit = unit; redraw(); } }, t(unit === 'hour' ? 'charts.by_hour' : 'charts.by_day'));
  return h('div', { class: 'chart-switch', role: 'group', 'aria-label': t('charts.window') }, option('hour'), option('day'));
}

const jobLabel = (jobId) => {
  const job = state.jobs.get(jobId);
  return job?.display_name || job?.name || jobId;
};

// One row per job: a bar from 0 to p95 with p50 and p90 marked, the longest as a thin tail.
function durationChart(durations) {
  const jobs = [...durations].sort((a, b) => b.p95 - a.p95 || a.job_id.localeCompare(b.job_id));
  const rowHeight = 30;
  const labelWidth = 150;
  const barArea = 300;
  const width = labelWidth + barArea + 230;
  const height = jobs.length * rowHeight + 8;
  const longest = Math.max(...jobs.map((job) => job.max), 0.001);
  const scale = (seconds) => (seconds / longest) * barArea;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': t('charts.durations'),
    'data-testid': 'chart-durations' });
  jobs.forEach((job, index) => {
    const top = index * rowHeight + 4;
    const title = t('charts.duration_title', { job: jobLabel(job.job_id), runs: job.runs, p50: formatDuration(job.p50),
      p90: formatDuration(job.p90), p95: formatDuration(job.p95), max: formatDuration(job.max), mean: formatDuration(job.mean) });
    svg.append(
      s('text', { x: 0, y: top + 15, class: 'chart-label' }, truncate(jobLabel(job.job_id), 12)),
      s('line', { x1: labelWidth, x2: labelWidth + Math.max(1, scale(job.max)), y1: top + 11, y2: top + 11, class: 'chart-axis' }),
      s('rect', { x: labelWidth, y: top + 4, width: Math.max(2, scale(job.p95)), height: 14, rx: 2, class: 'bar bar-p95',
        'data-job-id': job.job_id }, s('title', {}, title)),
      s('rect', { x: labelWidth, y: top + 4, width: Math.max(2, scale(job.p50)), height: 14, rx: 2, class: 'bar bar-success' },
        s('title', {}, title)),
      s('line', { x1: labelWidth + scale(job.p90), x2: labelWidth + scale(job.p90), y1: top + 2, y2: top + 20, class: 'chart-mark' }),
      s('text', { x: labelWidth + barArea + 10, y: top + 15, class: 'chart-note' },
        t('charts.percentiles', { p50: formatDuration(job.p50), p95: formatDuration(job.p95), runs: job.runs })));
  });
  return svg;
}

const truncate = (text, length) => ([...text].length > length ? `${[...text].slice(0, length - 1).join('')}…` : text);

// Stacked bars of successes, failures and every other status (in progress included), per window.
function outcomeChart(series) {
  const buckets = series.windows.map((window) => {
    const bucket = { start: toMillis(window.start), success: 0, failed: 0, other: 0, counts: window.counts, total: window.total };
    for (const [status, count] of Object.entries(window.counts)) bucket[kindOf(status)] += count;
    return bucket;
  });
  const count = buckets.length;
  const highest = Math.max(1, ...buckets.map((bucket) => bucket.total));
  const step = Math.max(1, Math.ceil(highest / 4));
  const peak = step * Math.ceil(highest / step); // whole-number grid lines
  const [left, top, plotWidth, plotHeight] = [40, 12, 520, 150];
  const slot = plotWidth / count;
  const svg = s('svg', { viewBox: `0 0 ${left + plotWidth + 10} ${top + plotHeight + 52}`, class: 'chart', role: 'img',
    'aria-label': `${t('charts.outcomes')} · ${t(series.unit === 'hour' ? 'charts.by_hour' : 'charts.by_day')}`,
    'data-testid': 'chart-outcomes', 'data-unit': series.unit, 'data-total': String(buckets.reduce((sum, b) => sum + b.total, 0)) });
  for (let value = 0; value <= peak; value += step) {
    const y = top + plotHeight - (value / peak) * plotHeight;
    svg.append(s('line', { x1: left, x2: left + plotWidth, y1: y, y2: y, class: value ? 'chart-gridline' : 'chart-axis' }),
      s('text', { x: left - 6, y: y + 4, class: 'chart-note', 'text-anchor': 'end' }, String(value)));
  }
  buckets.forEach((bucket, index) => {
    let base = top + plotHeight;
    const detail = Object.entries(bucket.counts).map(([status, n]) => `${t(`status.${status}`)} ${n}`).join(' · ');
    for (const kind of KINDS) {
      if (!bucket[kind]) continue;
      const height = (bucket[kind] / peak) * plotHeight;
      base -= height;
      svg.append(s('rect', { x: left + index * slot + 2, y: base, width: Math.max(1, slot - 4), height, class: barClass(kind),
        'data-kind': kind, 'data-count': String(bucket[kind]) },
      s('title', {}, `${formatBucket(bucket.start, series.unit)} · ${detail}`)));
    }
    if (index % (series.unit === 'hour' ? 4 : 2) === 0) {
      svg.append(s('text', { x: left + index * slot + slot / 2, y: top + plotHeight + 16, class: 'chart-note', 'text-anchor': 'middle' },
        formatBucket(bucket.start, series.unit)));
    }
  });
  const legendY = top + plotHeight + 38;
  let legendX = left;
  for (const kind of KINDS) {
    svg.append(s('rect', { x: legendX, y: legendY - 9, width: 10, height: 10, rx: 2, class: barClass(kind) }),
      s('text', { x: legendX + 14, y: legendY, class: 'chart-note' }, t(`charts.${kind}`)));
    legendX += kind === 'other' ? 0 : 90;
  }
  return svg;
}
