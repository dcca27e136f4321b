// Two inline SVG charts drawn from the recent runs: durations per job, and outcomes over time.
import { h, replaceChildren, s } from './dom.js';
import { bucketStart, formatBucket, formatDuration, formatTime, toMillis } from './format.js';
import { t } from './i18n.js';
import { state } from './state.js';

const RUNS_PER_JOB = 30;
const MAX_JOBS = 10;
const barClass = (status) => `bar bar-${['success', 'failed'].includes(status) ? status : 'other'}`;

export function renderCharts(durationsContainer, outcomesContainer, runs) {
  const finished = runs
    .filter((run) => !['queued', 'running'].includes(run.status))
    .map((run) => ({ ...run, at: toMillis(run.finished_at ?? run.timestamp) }))
    .filter((run) => run.at !== null)
    .sort((a, b) => a.at - b.at);
  if (finished.length === 0) {
    replaceChildren(durationsContainer, h('p', { class: 'muted empty' }, t('charts.empty')));
    replaceChildren(outcomesContainer, h('p', { class: 'muted empty' }, t('charts.empty')));
    return;
  }
  replaceChildren(durationsContainer, durationChart(finished));
  replaceChildren(outcomesContainer, outcomeChart(finished));
}

const jobLabel = (jobId) => {
  const job = state.jobs.get(jobId);
  return job?.display_name || job?.name || jobId;
};

// One row per job: a bar per run (height = duration, colour = outcome), scaled to the row's longest run.
function durationChart(finished) {
  const byJob = new Map();
  for (const run of finished) {
    if (run.execution_time === null || run.execution_time === undefined) continue;
    if (!byJob.has(run.job_id)) byJob.set(run.job_id, []);
    byJob.get(run.job_id).push(run);
  }
  const jobs = [...byJob.entries()]
    .sort((a, b) => b[1].at(-1).at - a[1].at(-1).at)
    .slice(0, MAX_JOBS);
  if (jobs.length === 0) return h('p', { class: 'muted empty' }, t('charts.empty'));
  const slots = Math.max(12, ...jobs.map(([, runs]) => Math.min(runs.length, RUNS_PER_JOB)));
  const rowHeight = 44;
  const labelWidth = 170;
  const barArea = 360;
  const width = labelWidth + barArea + 150;
  const height = jobs.length * rowHeight + 8;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': t('charts.durations'), 'data-testid': 'chart-durations' });
  jobs.forEach(([jobId, allRuns], index) => {
    const runs = allRuns.slice(-RUNS_PER_JOB);
    const top = index * rowHeight + 4;
    const longest = Math.max(...runs.map((run) => run.execution_time), 0.001);
    const successes = runs.filter((run) => run.status === 'success');
    const mean = successes.length ? successes.reduce((sum, run) => sum + run.execution_time, 0) / successes.length : null;
    const slot = barArea / slots;
    svg.append(
      s('text', { x: 0, y: top + 22, class: 'chart-label' }, truncate(jobLabel(jobId), 14)),
      s('line', { x1: labelWidth, x2: labelWidth + barArea, y1: top + 34, y2: top + 34, class: 'chart-axis' }),
      s('text', { x: labelWidth + barArea + 10, y: top + 22, class: 'chart-note' },
        t('charts.max_avg', { max: formatDuration(longest), avg: mean === null ? '—' : formatDuration(mean) })));
    runs.forEach((run, position) => {
      const barHeight = Math.max(2, (run.execution_time / longest) * 30);
      svg.append(s('rect', { x: labelWidth + position * slot + 1, y: top + 34 - barHeight, width: Math.max(2, slot - 3),
        height: barHeight, rx: 1.5, class: barClass(run.status) },
      s('title', {}, `${formatTime(run.at)} · ${formatDuration(run.execution_time)} · ${t(`status.${run.status}`)}`)));
    });
  });
  return svg;
}

const truncate = (text, length) => ([...text].length > length ? `${[...text].slice(0, length - 1).join('')}…` : text);

// Stacked bars of successes, failures and other outcomes, per hour (recent data) or per day.
function outcomeChart(finished) {
  const now = Date.now();
  const recentOnly = finished[0].at > now - 48 * 3600000;
  const unit = recentOnly ? 'hour' : 'day';
  const count = recentOnly ? 24 : 14;
  const size = unit === 'hour' ? 3600000 : 86400000;
  const last = bucketStart(now, unit);
  const buckets = Array.from({ length: count }, (_, index) => ({ start: last - (count - 1 - index) * size, success: 0, failed: 0, other: 0 }));
  for (const run of finished) {
    const index = Math.round((bucketStart(run.at, unit) - buckets[0].start) / size);
    if (index < 0 || index >= count) continue;
    const kind = run.status === 'success' ? 'success' : run.status === 'failed' ? 'failed' : 'other';
    buckets[index][kind] += 1;
  }
  const highest = Math.max(1, ...buckets.map((bucket) => bucket.success + bucket.failed + bucket.other));
  const step = Math.max(1, Math.ceil(highest / 4));
  const peak = step * Math.ceil(highest / step); // whole-number grid lines
  const [left, top, plotWidth, plotHeight] = [34, 12, 520, 150];
  const slot = plotWidth / count;
  const svg = s('svg', { viewBox: `0 0 ${left + plotWidth + 10} ${top + plotHeight + 52}`, class: 'chart', role: 'img',
    'aria-label': t('charts.outcomes'), 'data-testid': 'chart-outcomes' });
  for (let value = 0; value <= peak; value += step) {
    const y = top + plotHeight - (value / peak) * plotHeight;
    svg.append(s('line', { x1: left, x2: left + plotWidth, y1: y, y2: y, class: value ? 'chart-gridline' : 'chart-axis' }),
      s('text', { x: left - 6, y: y + 4, class: 'chart-note', 'text-anchor': 'end' }, String(value)));
  }
  buckets.forEach((bucket, index) => {
    let base = top + plotHeight;
    for (const kind of ['success', 'failed', 'other']) {
      if (!bucket[kind]) continue;
      const height = (bucket[kind] / peak) * plotHeight;
      base -= height;
      svg.append(s('rect', { x: left + index * slot + 2, y: base, width: slot - 4, height, class: barClass(kind) },
        s('title', {}, `${formatBucket(bucket.start, unit)} · ${t(`charts.${kind}`)}: ${bucket[kind]}`)));
    }
    if (index % (unit === 'hour' ? 4 : 2) === 0) {
      svg.append(s('text', { x: left + index * slot + slot / 2, y: top + plotHeight + 16, class: 'chart-note', 'text-anchor': 'middle' },
        formatBucket(bucket.start, unit)));
    }
  });
  const legendY = top + plotHeight + 38;
  let legendX = left;
  for (const kind of ['success', 'failed', 'other']) {
    svg.append(s('rect', { x: legendX, y: legendY - 9, width: 10, height: 10, rx: 2, class: barClass(kind) }),
      s('text', { x: legendX + 14, y: legendY, class: 'chart-note' }, t(`charts.${kind}`)));
    legendX += kind === 'other' ? 0 : 90;
  }
  svg.append(s('text', { x: left + plotWidth, y: legendY, class: 'chart-note', 'text-anchor': 'end' },
    t(unit === 'hour' ? 'charts.by_hour' : 'charts.by_day')));
  return svg;
}
