// Overview: totals, scheduler health, the job table (search, filters, sorting), kept live by the stream.
import { api, describeError } from './api.js';
import { renderCharts } from './charts.js';
import { badge, connectionBack, h, replaceChildren, showBanner, unreachable } from './dom.js';
import { dataSource, describeTrigger, formatTime, SOURCES, toMillis } from './format.js';
import { t } from './i18n.js';
import { JOBS_CHANGED, openJobForm } from './job_forms.js';
import { jobActionButtons, showJobDetail } from './jobs.js';
import { labelled } from './runs.js';
import { isAdmin, state, withLiveState } from './state.js';

const view = {
  stats: null,
  health: null,
  healthError: null,
  jobsError: null,
  sort: { key: 'name', direction: 1 }, // by name: a row stays where it is when its job is paused or resumed
  summary: null,
  summaryAt: null,
  loaded: false,
};
const SUMMARY_REFRESH_MS = 15000; // charts follow finished runs at most this often (one request each time)

// Six requests: jobs, statistics, health, the execution summary (charts and last runs, aggregated by the
// API), and the runs in progress (their ids, which live events then keep current).
export async function loadOverview() {
  const [jobs, stats, health, summary, running, queued] = await Promise.allSettled([
    api.jobs(), api.stats(), api.health(), api.executionSummary(),
    api.executions({ status: 'running', limit: 200 }), api.executions({ status: 'queued', limit: 200 }),
  ]);
  if (jobs.status === 'fulfilled') {
    state.jobs = new Map(jobs.value.map((job) => [job.id, job]));
    view.jobsError = null;
  } else {
    view.jobsError = describeError(jobs.reason);
  }
  view.stats = stats.status === 'fulfilled' ? stats.value : null;
  view.health = health.status === 'fulfilled' ? health.value : null;
  view.healthError = health.status === 'rejected' ? describeError(health.reason) : null;
  if (summary.status === 'fulfilled') useSummary(summary.value);
  if (running.status === 'fulfilled' && queued.status === 'fulfilled') {
    state.inProgress = new Set([...running.value.items, ...queued.value.items].map((run) => run.execution_id));
  }
  view.loaded = true;
  renderOverview();
  const failure = [jobs, stats, summary].find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

function useSummary(summary) {
  view.summary = summary;
  view.summaryAt = Date.now();
  state.lastRun = new Map(summary.last_runs.map((run) => [run.job_id, withLiveState(run)]));
}

// After runs end, the charts are asked for again (throttled): the API aggregates, the page only draws.
let summaryTimer = null;
function refreshSummarySoon() {
  if (summaryTimer !== null) return;
  const wait = Math.max(0, SUMMARY_REFRESH_MS - (Date.now() - (view.summaryAt ?? 0)));
  summaryTimer = setTimeout(async () => {
    summaryTimer = null;
    try {
      const summary = await api.executionSummary();
      view.summary = summary;
      view.summaryAt = Date.now();
      drawCharts();
    } catch {
      // the next ended run asks again; the charts keep their last answer meanwhile
    }
  }, wait);
}

// Unreachable: the scheduler's state is unknown (not the last one seen); reachable again: banners clear.
export async function refreshHealth() {
  try {
    view.health = await api.health();
    view.healthError = null;
    connectionBack();
  } catch (error) {
    view.health = null;
    view.healthError = describeError(error);
    if (unreachable(error)) showBanner(describeError(error), 'error', { connectivity: true });
  }
  renderCards();
}

// ---- live updates (job events re-render the table; run events touch only the cells they change)

export function onOverviewEvent(type, event, run) {
  const job = event.job_id ? state.jobs.get(event.job_id) : null;
  if (type === 'JobPaused' && job) Object.assign(job, { paused: true, next_run_time: null, paused_reason: event.actor ? `paused by ${event.actor}` : null });
  else if ((type === 'JobResumed' || type === 'JobScheduled') && job) {
    Object.assign(job, { next_run_time: event.next_run_time ?? null }, type === 'JobResumed' ? { paused: false, paused_reason: null } : {});
  } else if (type === 'JobMetadataUpdated' && job) {
    if (event.display_name !== null && event.display_name !== undefined) job.display_name = event.display_name;
    if (event.description !== null && event.description !== undefined) job.description = event.description;
  } else if (type === 'JobRegistered') {
    state.jobs.set(event.job_id, { ...(job ?? {}), id: event.job_id, name: event.name, trigger: event.trigger,
      paused: event.paused, paused_reason: event.paused ? event.paused_reason ?? null : null, next_run_time: event.next_run_time ?? null });
  } else if (type === 'SchedulerHeartbeat') {
    if (view.health) view.health.last_heartbeat = event.occurred_at;
    if (view.loaded) schedule('cards');
    return;
  } else if (run) {
    trackRun(type, run);
    return;
  } else {
    return;
  }
  if (view.loaded) schedule('all');
}

const OPENS_RUN = new Set(['RunQueued', 'JobMissed', 'JobSkipped']);

const ENDS_RUN = new Set(['JobFinished', 'JobMissed', 'JobSkipped', 'QueuedRunCancelled', 'ExecutionMarkedFailed', 'ExecutionDeleted']);

function trackRun(type, run) {
  if (!run.deleted) {
    const last = state.lastRun.get(run.job_id);
    if (OPENS_RUN.has(type) || !last) state.lastRun.set(run.job_id, { ...run });
    else if (last.execution_id === run.execution_id) state.lastRun.set(run.job_id, withLiveState(last));
  }
  if (!view.loaded) return;
  if (run.job_id) pendingCells.add(run.job_id);
  if (ENDS_RUN.has(type) || OPENS_RUN.has(type)) refreshSummarySoon();
  schedule(type === 'Progress' ? 'cells' : 'runs');
}

// Coalesce bursts of events into one paint; 'all' > 'runs' (cards, cells, charts) > 'cards' / 'cells'.
const pendingCells = new Set();
let pending = new Set();
function schedule(what) {
  if (pending.size === 0) requestAnimationFrame(flush);
  pending.add(what);
}

function flush() {
  const what = pending;
  pending = new Set();
  if (what.has('all')) {
    pendingCells.clear();
    renderOverview();
    return;
  }
  if (what.has('runs') || what.has('cards')) renderCards();
  for (const jobId of pendingCells) {
    const cell = document.querySelector(`#jobs-table tr[data-job-id="${CSS.escape(jobId)}"] td.last-run-cell`);
    if (cell) replaceChildren(cell, lastRunCell(jobId));
  }
  pendingCells.clear();
}

// ---- rendering

export function renderOverview() {
  if (!view.loaded) return;
  renderCards();
  renderJobs();
  drawCharts();
}

function drawCharts() {
  renderCharts(document.getElementById('chart-durations'), document.getElementById('chart-outcomes'), view.summary);
}

function card(key, value, testid, extra = null) {
  return h('div', { class: 'card stat', 'data-testid': testid }, h('span', { class: 'stat-label' }, t(key)),
    h('strong', { class: 'stat-value' }, value), extra);
}

function renderCards() {
  const jobs = [...state.jobs.values()];
  const paused = jobs.filter((job) => job.paused).length;
  const health = view.health;
  const status = health?.status ?? 'unknown';
  const healthExtra = h('span', { class: 'stat-note' },
    view.healthError ?? [
      health?.last_heartbeat ? t('health.heartbeat', { time: formatTime(health.last_heartbeat) }) : '',
      ...(health?.reasons ?? []).map((reason) => h('span', { class: 'reason' }, reason)),
    ]);
  replaceChildren(document.getElementById('stat-cards'),
    card('stats.total', jobs.length || view.stats?.total_jobs || 0, 'stat-total'),
    card('stats.enabled', jobs.length - paused, 'stat-enabled'),
    card('stats.paused', paused, 'stat-paused'),
    card('stats.in_progress', state.inProgress.size, 'stat-in-progress'),
    card('stats.health', badge(status, t(`health.${status}`), { 'data-health': status }), 'stat-health', healthExtra));
}

function fillSelect(select, options) {
  const current = select.value;
  select.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  select.value = options.some(([value]) => value === current) ? current : options[0][0];
}

export function setupJobFilters() {
  for (const id of ['job-search', 'job-source', 'job-state']) {
    document.getElementById(id).addEventListener('input', () => renderJobs());
  }
  // Jobs as data: an admin creates a job here (the button shows once the role is known).
  const create = h('button', { type: 'button', class: 'small primary', id: 'job-create', hidden: true, 'data-i18n': 'jobform.new' }, t('jobform.new'));
  create.addEventListener('click', () => openJobForm());
  document.getElementById('job-filters').append(create);
  window.addEventListener(JOBS_CHANGED, () => loadOverview().catch(() => {}));
}

function filteredJobs() {
  const keyword = document.getElementById('job-search').value.trim().toLowerCase();
  const source = document.getElementById('job-source').value;
  const wanted = document.getElementById('job-state').value;
  const { key, direction } = view.sort;
  const sortValue = (job) => key === 'next_run_time' ? (toMillis(job.next_run_time) ?? Infinity) : (job.display_name || job.name || job.id);
  return [...state.jobs.values()]
    .filter((job) => !keyword || [job.id, job.name, job.display_name, job.description, job.trigger, describeTrigger(job.trigger)]
      .some((text) => (text ?? '').toLowerCase().includes(keyword)))
    .filter((job) => !source || dataSource(job) === source)
    .filter((job) => !wanted || (wanted === 'paused') === Boolean(job.paused))
    .sort((a, b) => {
      const [left, right] = [sortValue(a), sortValue(b)];
      if (left === right) return a.id.localeCompare(b.id);
      if (left === Infinity) return 1; // never scheduled: last, whichever the direction
      if (right === Infinity) return -1;
      return (left < right ? -1 : 1) * direction;
    });
}

function sortHeader(key, label) {
  const active = view.sort.key === key;
  const arrow = active ? (view.sort.direction > 0 ? ' ▲' : ' ▼') : '';
  return h('th', { 'aria-sort': active ? (view.sort.direction > 0 ? 'ascending' : 'descending') : 'none' },
    h('button', { type: 'button', class: 'sort', 'data-sort': key, onclick: () => {
      view.sort = { key, direction: active ? -view.sort.direction : 1 };
      renderJobs();
    } }, label + arrow));
}

function lastRunCell(jobId) {
  const last = state.lastRun.get(jobId);
  if (!last) return h('span', { class: 'muted' }, t('status.none'));
  const running = last.status === 'running' && last.progress !== null && last.progress !== undefined;
  return h('span', { class: 'last-run', 'data-status': last.status },
    badge(last.status, t(`status.${last.status}`)), running ? ` ${Math.round(last.progress)}%` : '',
    h('small', { class: 'muted block' }, formatTime(last.timestamp ?? last.started_at, { seconds: false })));
}

// An operator's pause reads "paused by alice"; a definition's reason (e.g. a missing token) as it is given.
function pauseReason(reason) {
  const byOperator = /^paused by (.+)$/.exec(reason);
  return byOperator ? t('state.paused_by', { actor: byOperator[1] }) : reason;
}

const JOB_HEADERS = ['col.job', 'col.trigger', 'col.description', 'col.next_run', 'col.state', 'col.last_run', 'col.source', 'col.actions'];

function renderJobs() {
  const create = document.getElementById('job-create');
  if (create) create.hidden = !isAdmin();
  fillSelect(document.getElementById('job-source'), [['', t('jobs.all_sources')], ...SOURCES.map((s) => [s, t(`source.${s}`)])]);
  fillSelect(document.getElementById('job-state'), [['', t('jobs.all_states')], ['enabled', t('state.enabled')], ['paused', t('state.paused')]]);
  const container = document.getElementById('jobs-table');
  if (view.jobsError) {
    replaceChildren(container, h('p', { class: 'form-error' }, view.jobsError));
    return;
  }
  const jobs = filteredJobs();
  const rows = jobs.map((job) => labelled(h('tr', { 'data-job-id': job.id, 'data-paused': String(Boolean(job.paused)) },
    // The display name once set (the catalogue's name below it when it differs), then the id.
    h('td', {}, h('button', { type: 'button', class: 'link', 'data-role': 'job-detail', onclick: () => showJobDetail(job.id) },
      job.display_name || job.name),
    job.display_name && job.display_name !== job.name ? h('small', { class: 'muted block' }, job.name) : null,
    h('code', { class: 'muted block small' }, job.id)),
    h('td', { class: 'trigger', title: job.trigger }, describeTrigger(job.trigger)),
    h('td', { class: 'description' }, job.description || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'nowrap' }, formatTime(job.next_run_time, { seconds: false })),
    h('td', {}, badge(job.paused ? 'paused' : 'enabled', t(job.paused ? 'state.paused' : 'state.enabled'), { 'data-testid': 'job-state' }),
      job.paused && job.paused_reason ? h('small', { class: 'block muted pause-reason', 'data-testid': 'pause-reason' }, pauseReason(job.paused_reason)) : null),
    h('td', { class: 'last-run-cell' }, lastRunCell(job.id)),
    h('td', {}, badge(`source-${dataSource(job)}`, t(`source.${dataSource(job)}`))),
    h('td', { class: 'actions' }, h('button', { type: 'button', class: 'small ghost', onclick: () => showJobDetail(job.id),
      'aria-label': `${t('action.detail')} ${job.display_name || job.name || job.id}` }, t('action.detail')),
      ...jobActionButtons(job, { compact: true }))), JOB_HEADERS));
  replaceChildren(container, h('table', { class: 'jobs' },
    h('thead', {}, h('tr', {}, sortHeader('name', t('col.job')), h('th', {}, t('col.trigger')),
      h('th', {}, t('col.description')), sortHeader('next_run_time', t('col.next_run')), h('th', {}, t('col.state')),
      h('th', {}, t('col.last_run')), h('th', {}, t('col.source')), h('th', {}, t('col.actions')))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, t('jobs.empty'))))));
}
