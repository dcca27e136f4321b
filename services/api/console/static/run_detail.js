// One run: summary, live progress, error and traceback, and its event timeline (audit), kept live.
import { api, ApiError, describeError } from './api.js';
import { h, openDialog, replaceChildren } from './dom.js';
import { formatDuration, formatTime } from './format.js';
import { t } from './i18n.js';
import { runActionButtons } from './run_actions.js';
import { runLogPanel } from './run_logs.js';
import { loadRunEvents, runTimeline } from './run_timeline.js';
import { progressCell, statusBadge } from './runs.js';
import { state, withLiveState } from './state.js';
import { writeOpenRun } from './url_state.js';
import { liveDraw } from './live_draw.js';

let current = null; // { executionId, run, pinned, summary, timeline, actions, close, summaryDraw, pinnedKey }

export async function showRunDetail(executionId) {
  const summary = h('div', { class: 'run-summary', 'aria-busy': 'true' }, '…');
  // The status and key figures stay in view while the timeline scrolls (sticky in the dialog's body).
  const pinned = h('div', { class: 'run-pinned', 'data-testid': 'run-pinned', role: 'region', 'aria-label': t('run.pinned') });
  const timeline = runTimeline();
  const logs = runLogPanel(executionId);
  const body = h('div', {}, pinned, h('div', { class: 'detail-grid' }, summary,
    h('div', {}, h('h3', {}, t('run.timeline')), timeline.element), logs.element));
  const dialog = openDialog({ title: `${t('run.title')} ${executionId.slice(0, 8)}`, body, testid: 'run-detail', wide: true });
  const actions = h('span', { class: 'run-actions' });
  dialog.dialog.querySelector('.dialog-actions').prepend(actions);
  current = { executionId, run: null, pinned, summary, timeline, actions, close: dialog.close, pinnedKey: null };
  const open = current;
  open.summaryDraw = summaryDraw(open);
  writeOpenRun(executionId);
  dialog.done.then(() => {
    logs.close();
    timeline.close();
    open.summaryDraw.cancel();
    if (current?.executionId === executionId) {
      current = null;
      writeOpenRun(null);
    }
  });
  try {
    const [run, loaded] = await Promise.all([api.execution(executionId), loadRunEvents(executionId)]);
    if (current?.executionId !== executionId) return;
    current.run = withLiveState(run);
    renderSummary();
    // The timeline is drawn in a later frame than the summary: opening a run is two short tasks, not one long.
    timeline.add(loaded.items);
    timeline.loadedWith(loaded.gap);
  } catch (error) {
    summary.removeAttribute('aria-busy');
    replaceChildren(summary);
    // A link to a run that does not exist (any more) says so plainly.
    dialog.setError(error instanceof ApiError && error.status === 404 ? t('run.not_found', { id: executionId }) : describeError(error));
  }
}

export function openRunId() {
  return current?.executionId ?? null;
}

// A stream event about the open run: queued for the timeline's next draw; the summary is redrawn at the
// live pace too (`live_draw.js`), so a run reporting progress many times a second never stalls the page.
export function onRunDetailEvent(type, event, run) {
  if (!current || event.execution_id !== current.executionId) return;
  if (run?.deleted) {
    current.close();
    return;
  }
  current.timeline.add([{ ...event, type }]);
  if (current.run) current.summaryDraw.request();
}

function summaryDraw(open) {
  return liveDraw('run-summary', () => {
    if (current !== open || !open.run) return;
    open.run = withLiveState(open.run);
    // Progress changes the pinned figures only: the summary below is redrawn when something else changed.
    if (summaryKey(open.run) === open.summaryKey) renderPinned();
    else renderSummary();
  });
}

const jobName = (run) => {
  const job = state.jobs.get(run.job_id);
  return job?.display_name || job?.name || run.job_name || run.job_id;
};
const row = (label, value) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, value ?? '—'));
const json = (value) => h('pre', { class: 'mono', tabindex: 0 }, JSON.stringify(value ?? null, null, 2));

// What the pinned figures show: unchanged, they are not drawn again.
const pinnedKey = (run) => JSON.stringify([run.status, run.cancel_requested, run.progress, run.processed_items, run.total_items,
  run.progress_message, run.current_item, run.execution_time, run.attempt]);

function renderPinned() {
  const { run, pinned } = current;
  const key = pinnedKey(run);
  if (key === current.pinnedKey) return;
  current.pinnedKey = key;
  const figure = (label, value, testid) => h('div', { class: 'kv', 'data-testid': testid }, h('dt', {}, label), h('dd', {}, value ?? '—'));
  // Status, progress, duration and attempt live here only (the summary below holds the rest).
  replaceChildren(pinned, h('dl', {},
    figure(t('col.status'), statusBadge(run), 'pinned-status'),
    figure(t('col.progress'), progressCell(run), 'pinned-progress'),
    figure(t('col.duration'), formatDuration(run.execution_time), 'pinned-duration'),
    figure(t('run.attempt'), String(run.attempt ?? 1), 'pinned-attempt')));
}

// What the summary and the action buttons show, beyond the pinned figures.
const summaryKey = (run) => JSON.stringify([run.status, run.cancel_requested, run.started_at, run.finished_at, run.worker_id, run.waiting_for,
  run.error_message, run.return_value === undefined ? null : run.return_value, run.actor]);

function renderSummary() {
  const { run, summary, actions } = current;
  current.summaryKey = summaryKey(run);
  renderPinned();
  summary.removeAttribute('aria-busy');
  replaceChildren(summary,
    h('dl', {},
      row(t('col.job'), `${jobName(run)} (${run.job_id})`),
      row(t('col.mode'), `${t(run.is_manual ? 'mode.manual' : 'mode.auto')}${run.force ? ` · ${t('run.force')}` : ''}`),
      row(t('run.actor'), run.actor),
      row(t('run.scheduled'), formatTime(run.scheduled_time)),
      run.waiting_for ? row(t('run.waiting_for'), run.waiting_for.join(', ')) : null,
      run.waiting_for ? row(t('run.wait_until'), formatTime(run.wait_until)) : null,
      row(t('run.started'), formatTime(run.started_at)),
      row(t('run.finished'), formatTime(run.finished_at)),
      row(t('run.worker'), run.worker_id),
      row(t('run.kwargs'), json(run.kwargs))),
    run.return_value !== null && run.return_value !== undefined ? [h('h3', {}, t('run.return_value')), json(run.return_value)] : null,
    run.error_message ? [h('h3', {}, t('run.error')), h('p', { class: 'error-text', 'data-testid': 'run-error' }, run.error_message)] : null,
    run.traceback ? [h('h3', {}, t('run.traceback')), h('pre', { class: 'mono traceback', tabindex: 0, 'data-testid': 'run-traceback' }, run.traceback)] : null);
  replaceChildren(actions, runActionButtons(run));
}
