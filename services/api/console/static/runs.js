// Runs: the executions table with filters and paging; running rows move with the stream (no polling).
import { api, describeError } from './api.js';
import { badge, h, replaceChildren } from './dom.js';
import { formatDuration, formatTime, fromLocalInput, toIsoAtOffset, toMillis } from './format.js';
import { t } from './i18n.js';
import { runActionButtons } from './run_actions.js';
import { clearSelection, connectBulk, renderBulkBar, selectBox } from './runs_bulk.js';
import { showRunDetail } from './run_detail.js';
import { runsHash, writeRunsLocation } from './url_state.js';
import { isDeleted, isTerminal, liveRun, state, withLiveState } from './state.js';
import { liveDraw } from './live_draw.js';

const PAGE_SIZE = 20;
const STATUSES = ['scheduled', 'waiting', 'queued', 'running', 'success', 'partial', 'failed', 'missed', 'cancelled', 'skipped'];
const view = { filters: {}, offset: 0, items: [], total: 0, error: null, loaded: false };

const form = () => document.getElementById('run-filters');

export function setupRunFilters() {
  connectBulk({ items: () => view.items, total: () => view.total, filter: apiFilter, reload: loadRuns });
  form().addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  form().addEventListener('reset', () => setTimeout(applyFilters));
  for (const select of form().querySelectorAll('select')) select.addEventListener('change', applyFilters);
}

function applyFilters() {
  const data = new FormData(form());
  if (!setFilters(Object.fromEntries(data.entries()))) return;
  view.offset = 0;
  writeRunsLocation(locationValues());
  loadRuns();
}

// A problem with the filters or the link, shown above the table (cleared when filters are applied again).
function showFilterNote(text) {
  const error = document.getElementById('run-filter-error');
  const shown = error.hidden ? '' : error.textContent;
  error.hidden = false;
  error.textContent = shown ? `${shown} ${text}` : text;
}

// The filters from the form's (or the address's) values; false, with the reason shown, when they cannot apply.
function setFilters(values) {
  const since = fromLocalInput(values.since);
  const until = fromLocalInput(values.until);
  const error = document.getElementById('run-filter-error');
  const problem = (values.since && since === null) || (values.until && until === null) ? t('runs.date_invalid')
    : since !== null && until !== null && since > until ? t('runs.range_invalid') : '';
  error.hidden = !problem;
  error.textContent = problem;
  if (problem) return false;
  view.filters = { job_id: values.job_id || '', status: values.status || '', is_manual: values.is_manual || '',
    time_field: values.time_field || 'scheduled', since, until, sinceText: values.since || '', untilText: values.until || '' };
  return true;
}

function locationValues() {
  const { job_id, status, is_manual, time_field, sinceText, untilText } = view.filters;
  return { job_id, status, is_manual, time_field: time_field === 'scheduled' ? '' : time_field, since: sinceText,
    until: untilText, offset: view.offset ? String(view.offset) : '' };
}

// The filters and page an address names (a reload, a shared link); values the form cannot hold are named.
export function restoreRunsFromLocation(params) {
  fillFilterOptions();
  const elements = form().elements;
  const rejected = [];
  for (const name of ['job_id', 'status', 'is_manual', 'time_field']) {
    const wanted = params.get(name) ?? '';
    const select = elements[name];
    const fallback = name === 'time_field' ? 'scheduled' : '';
    select.value = [...select.options].some((option) => option.value === wanted) ? wanted : fallback;
    if (wanted && select.value !== wanted) rejected.push(`${name}=${wanted}`);
  }
  elements.since.value = params.get('since') ?? '';
  elements.until.value = params.get('until') ?? '';
  const offset = Number(params.get('offset') ?? 0);
  view.offset = Number.isInteger(offset) && offset >= 0 ? offset : 0;
  const ok = setFilters(Object.fromEntries(new FormData(form()).entries()));
  if (rejected.length) showFilterNote(t('runs.link_invalid', { values: rejected.join(', ') }));
  return ok;
}

// The address of a job's runs (the view reads its filters from there).
export function showRunsOfJob(jobId) {
  return runsHash({ job_id: jobId });
}

function fillFilterOptions() {
  const fill = (select, options) => {
    const current = select.value;
    select.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
    if (options.some(([value]) => value === current)) select.value = current;
  };
  const { job_id: jobSelect, status, is_manual: manual, time_field: timeField } = form().elements;
  fill(jobSelect, [['', t('runs.all_jobs')], ...[...state.jobs.values()].map((job) => [job.id, job.display_name || job.name])]);
  fill(status, [['', t('runs.all_statuses')], ...STATUSES.map((name) => [name, t(`status.${name}`)])]);
  fill(manual, [['', t('runs.all_modes')], ['true', t('mode.manual')], ['false', t('mode.auto')]]);
  fill(timeField, [['scheduled', t('runs.by_scheduled')], ['started', t('runs.by_started')]]);
}

const bound = (moment) => (moment === null || moment === undefined ? null : toIsoAtOffset(moment));

// The page's filters as a bulk action's `filter` (only those set): "every run matching the filter".
function apiFilter() {
  const { job_id, status, is_manual, since, until, time_field } = view.filters;
  const filter = { job_id, status, is_manual: is_manual === '' || is_manual === undefined ? null : is_manual === 'true',
    since: bound(since), until: bound(until), time_field: bound(since) || bound(until) ? time_field : null };
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== null && value !== undefined && value !== ''));
}

// Every filter is applied by the API (over all runs, with the total of the matches): a page is what it says.
export async function loadRuns() {
  const { job_id, status, is_manual, since, until, time_field } = view.filters;
  const query = { job_id, status, is_manual, limit: PAGE_SIZE, offset: view.offset, since: bound(since), until: bound(until),
    time_field: bound(since) || bound(until) ? time_field : null };
  clearSelection();
  try {
    const page = await api.executions(query);
    if (!page.items.length && view.offset > 0 && view.offset >= page.total) {
      // A page beyond the end (an old link, runs deleted since): said so, and the last page shown instead.
      const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
      showFilterNote(t('runs.page_beyond', { page: Math.floor(view.offset / PAGE_SIZE) + 1, pages }));
      view.offset = (pages - 1) * PAGE_SIZE;
      writeRunsLocation(locationValues());
      await loadRuns();
      return;
    }
    view.items = page.items.filter((run) => !isDeleted(run.execution_id)).map(withLiveState);
    view.total = page.total;
    view.error = null;
  } catch (error) {
    view.error = describeError(error);
  }
  view.loaded = true;
  renderRuns();
}

// For a run the stream announces: whether the page's filters would list it.
function inRange(run) {
  const { since, until, time_field } = view.filters;
  if ((since === null || since === undefined) && (until === null || until === undefined)) return true;
  const at = toMillis(time_field === 'started' ? run.started_at : run.scheduled_time);
  if (at === null || at === undefined) return false;
  return (since === null || since === undefined || at >= since) && (until === null || until === undefined || at < until);
}

function matchesFilters(run) {
  const { job_id, status, is_manual } = view.filters;
  return (!job_id || run.job_id === job_id) && (!status || run.status === status)
    && (!is_manual || String(Boolean(run.is_manual)) === is_manual) && inRange(run);
}

// ---- live updates

const NEW_RUN_EVENTS = new Set(['RunQueued', 'JobStarted', 'JobMissed', 'JobSkipped']);

export function onRunsEvent(type, run) {
  if (!view.loaded || !run) return;
  const index = view.items.findIndex((item) => item.execution_id === run.execution_id);
  if (run.deleted) {
    if (index >= 0) {
      view.items.splice(index, 1);
      view.total = Math.max(0, view.total - 1);
      renderRuns();
    }
    return;
  }
  if (index >= 0) {
    view.items[index] = withLiveState(view.items[index]);
    updateRowSoon(run.execution_id);
    return;
  }
  const candidate = { _id: run.execution_id, is_manual: false, ...liveRun(run.execution_id), ...run };
  if (view.offset === 0 && NEW_RUN_EVENTS.has(type) && candidate.timestamp && matchesFilters(candidate)) {
    view.items.unshift(candidate);
    view.items.length = Math.min(view.items.length, PAGE_SIZE);
    view.total += 1;
    renderRuns();
  }
}

// ---- rendering

export function progressCell(run) {
  const value = run.status === 'success' ? 100 : Math.max(0, Math.min(100, Number(run.progress ?? 0)));
  const bar = h('div', { class: 'bar' });
  bar.style.width = `${value}%`;
  const counts = run.total_items ? ` (${run.processed_items ?? 0}/${run.total_items})` : '';
  return h('div', { class: `progress-cell ${isTerminal(run.status) ? 'ended' : 'live'}` },
    h('div', { class: 'progress', role: 'progressbar', 'aria-label': t('col.progress'), 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-valuenow': Math.round(value), 'data-testid': 'run-progress' }, bar),
    h('span', { class: 'pct' }, `${Math.round(value)}%${counts}`),
    run.progress_message ? h('small', { class: 'block', 'data-testid': 'run-message' }, run.progress_message) : null,
    run.current_item && !isTerminal(run.status)
      ? h('small', { class: 'block muted', 'data-testid': 'run-item' }, t('runs.item', { item: run.current_item })) : null);
}

export function statusBadge(run) {
  const pending = run.cancel_requested && !isTerminal(run.status);
  return h('span', { class: 'status-cell' }, badge(run.status, t(`status.${run.status}`), { 'data-testid': 'run-status' }),
    pending ? h('small', { class: 'block muted' }, t('runs.cancel_requested')) : null);
}

const RUN_HEADERS = ['col.run', 'col.job', 'col.status', 'col.mode', 'col.created', 'col.started', 'col.duration', 'col.progress', 'col.actions'];

function runRow(run) {
  return labelled(plainRunRow(run), RUN_HEADERS);
}

// Each cell names its column (shown before it when the table is laid out as cards on narrow screens).
export function labelled(row, headers) {
  [...row.cells].forEach((cell, index) => { cell.dataset.label = t(headers[index]); });
  return row;
}

function plainRunRow(run) {
  const job = state.jobs.get(run.job_id);
  return h('tr', { 'data-execution-id': run.execution_id, 'data-status': run.status },
    h('td', { class: 'run-id' }, selectBox(run), h('button', { type: 'button', class: 'link mono', 'data-role': 'run-detail', onclick: () => showRunDetail(run.execution_id),
      'aria-label': `${t('action.detail')} ${run.execution_id.slice(0, 8)} · ${job?.display_name || run.job_name || run.job_id}` },
      run.execution_id.slice(0, 8))),
    h('td', {}, job?.display_name || run.job_name || run.job_id, h('code', { class: 'muted block small' }, run.job_id)),
    h('td', {}, statusBadge(run)),
    h('td', {}, t(run.is_manual ? 'mode.manual' : 'mode.auto')),
    h('td', { class: 'nowrap' }, formatTime(run.timestamp)),
    h('td', { class: 'nowrap' }, formatTime(run.started_at)),
    h('td', { class: 'nowrap', 'data-testid': 'run-duration' }, formatDuration(run.execution_time)),
    h('td', { class: 'progress-col' }, progressCell(run)),
    h('td', { class: 'actions' }, runActionButtons(run, { compact: true })));
}

// Rows changed by the stream, redrawn at the live pace (`live_draw.js`): a run reporting progress hundreds
// of times a second costs one row update per draw, not one per event.
const dirtyRows = new Set();
const rowDraw = liveDraw('runs-rows', () => {
  const ids = [...dirtyRows];
  dirtyRows.clear();
  for (const id of ids) {
    const run = view.items.find((item) => item.execution_id === id);
    if (run) updateRow(run);
  }
});

function updateRowSoon(executionId) {
  dirtyRows.add(executionId);
  rowDraw.request();
}

function updateRow(run) {
  const current = document.querySelector(`#runs-table tr[data-execution-id="${CSS.escape(run.execution_id)}"]`);
  if (!current) return;
  // Only the cells whose content changed: replacing the whole row would lose a click in progress on its
  // buttons, and an unchanged cell left alone has nothing to lay out or paint.
  const fresh = runRow(run);
  if (current.dataset.status !== run.status) current.dataset.status = run.status;
  const freshCells = [...fresh.cells]; // moving a cell out of `fresh` would shift its `cells`
  for (const index of [2, 5, 6, 7]) {
    if (current.cells[index].innerHTML !== freshCells[index].innerHTML) current.cells[index].replaceWith(freshCells[index]);
  }
  const actions = (cell) => [...cell.querySelectorAll('[data-action]')].map((button) => button.dataset.action).join();
  if (actions(current.cells[8]) !== actions(freshCells[8])) current.cells[8].replaceWith(freshCells[8]);
}

export function renderRuns() {
  fillFilterOptions();
  const container = document.getElementById('runs-table');
  if (view.error) {
    replaceChildren(container, h('p', { class: 'form-error' }, view.error,
      h('button', { type: 'button', class: 'small', onclick: loadRuns }, t('action.retry'))));
    replaceChildren(document.getElementById('runs-pager'));
    renderBulkBar();
    return;
  }
  const headers = RUN_HEADERS;
  replaceChildren(container, h('table', { class: 'runs' },
    h('thead', {}, h('tr', {}, headers.map((key) => h('th', {}, t(key))))),
    h('tbody', {}, view.items.length ? view.items.map(runRow) : h('tr', {}, h('td', { colspan: 9, class: 'empty' }, t('runs.empty'))))));
  renderPager();
  renderBulkBar();
}

function renderPager() {
  const pages = Math.max(1, Math.ceil(view.total / PAGE_SIZE));
  const page = Math.floor(view.offset / PAGE_SIZE) + 1;
  const go = (offset) => () => {
    view.offset = offset;
    writeRunsLocation(locationValues());
    loadRuns();
  };
  replaceChildren(document.getElementById('runs-pager'),
    h('button', { type: 'button', class: 'small', disabled: page <= 1, 'data-role': 'prev', onclick: go(view.offset - PAGE_SIZE) }, t('runs.prev')),
    h('span', { 'data-testid': 'runs-page' }, t('runs.page', { page, pages, total: view.total })),
    h('button', { type: 'button', class: 'small', disabled: page >= pages, 'data-role': 'next', onclick: go(view.offset + PAGE_SIZE) }, t('runs.next')));
}
