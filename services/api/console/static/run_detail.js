// One run: summary, live progress, error and traceback, and its event timeline (audit), kept live.
import { api, ApiError, describeError } from './api.js';
import { h, openDialog, replaceChildren } from './dom.js';
import { formatDuration, formatTime, toMillis } from './format.js';
import { t } from './i18n.js';
import { runActionButtons } from './run_actions.js';
import { runLogPanel } from './run_logs.js';
import { progressCell, statusBadge } from './runs.js';
import { state, withLiveState } from './state.js';
import { writeOpenRun } from './url_state.js';

let current = null; // { executionId, run, events, summary, timeline, actions, close }

export async function showRunDetail(executionId) {
  const summary = h('div', { class: 'run-summary', 'aria-busy': 'true' }, '…');
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'run-timeline' });
  const logs = runLogPanel(executionId);
  const body = h('div', { class: 'detail-grid' }, summary,
    h('div', {}, h('h3', {}, t('run.timeline')), timeline), logs.element);
  const dialog = openDialog({ title: `${t('run.title')} ${executionId.slice(0, 8)}`, body, testid: 'run-detail', wide: true });
  const actions = h('span', { class: 'run-actions' });
  dialog.dialog.querySelector('.dialog-actions').prepend(actions);
  current = { executionId, run: null, events: [], summary, timeline, actions, close: dialog.close };
  writeOpenRun(executionId);
  dialog.done.then(() => {
    logs.close();
    if (current?.executionId === executionId) {
      current = null;
      writeOpenRun(null);
    }
  });
  try {
    const [run, events] = await Promise.all([api.execution(executionId), api.executionEvents(executionId)]);
    if (current?.executionId !== executionId) return;
    current.run = withLiveState(run);
    const seen = new Set(current.events.map((event) => event.message_id));
    current.events = [...events.items, ...current.events.filter((event) => !seen.has(event.message_id))];
    renderSummary();
    renderTimeline();
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

// A stream event about the open run: append it to the timeline and refresh the summary.
export function onRunDetailEvent(type, event, run) {
  if (!current || event.execution_id !== current.executionId) return;
  if (!current.events.some((known) => known.message_id === event.message_id)) current.events.push({ ...event, type });
  if (run?.deleted) {
    current.close();
    return;
  }
  if (current.run) {
    current.run = withLiveState(current.run);
    renderSummary();
  }
  renderTimeline();
}

const jobName = (run) => {
  const job = state.jobs.get(run.job_id);
  return job?.display_name || job?.name || run.job_name || run.job_id;
};
const row = (label, value) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, value ?? '—'));
const json = (value) => h('pre', { class: 'mono', tabindex: 0 }, JSON.stringify(value ?? null, null, 2));

function renderSummary() {
  const { run, summary, actions } = current;
  summary.removeAttribute('aria-busy');
  replaceChildren(summary,
    h('dl', {},
      row(t('col.job'), `${jobName(run)} (${run.job_id})`),
      row(t('col.status'), statusBadge(run)),
      row(t('col.mode'), `${t(run.is_manual ? 'mode.manual' : 'mode.auto')}${run.force ? ` · ${t('run.force')}` : ''}`),
      row(t('run.actor'), run.actor),
      row(t('run.scheduled'), formatTime(run.scheduled_time)),
      row(t('run.started'), formatTime(run.started_at)),
      row(t('run.finished'), formatTime(run.finished_at)),
      row(t('col.duration'), formatDuration(run.execution_time)),
      row(t('run.attempt'), String(run.attempt ?? 1)),
      row(t('run.worker'), run.worker_id),
      row(t('col.progress'), progressCell(run)),
      row(t('run.kwargs'), json(run.kwargs))),
    run.return_value !== null && run.return_value !== undefined ? [h('h3', {}, t('run.return_value')), json(run.return_value)] : null,
    run.error_message ? [h('h3', {}, t('run.error')), h('p', { class: 'error-text', 'data-testid': 'run-error' }, run.error_message)] : null,
    run.traceback ? [h('h3', {}, t('run.traceback')), h('pre', { class: 'mono traceback', tabindex: 0, 'data-testid': 'run-traceback' }, run.traceback)] : null);
  replaceChildren(actions, runActionButtons(run));
}

function eventText(event) {
  switch (event.type) {
    case 'RunQueued': return `${event.is_manual ? t('mode.manual') : t('mode.auto')}${event.actor ? ` · ${event.actor}` : ''}`;
    case 'JobStarted': return event.worker_id;
    case 'Progress': return `${Math.round(event.progress)}%${event.message ? ` · ${event.message}` : ''}`;
    case 'JobFinished': return `${t(`status.${event.status}`)}${event.error_message ? ` · ${event.error_message}` : ''}`;
    case 'AttemptFailed': return `${event.reason} · ${event.error_message}`;
    case 'JobMissed': case 'JobSkipped': return event.reason;
    case 'CancelRequested': case 'QueuedRunCancelled': case 'ExecutionDeleted': return event.actor;
    case 'ExecutionMarkedFailed': return `${event.actor} · ${event.reason}`;
    case 'CommandRejected': return event.reason;
    default: return '';
  }
}

const ENDS_RUN = new Set(['JobFinished', 'JobMissed', 'JobSkipped', 'QueuedRunCancelled', 'ExecutionMarkedFailed']);

// The outcome an event stands for (its dot's colour): a finish by its status, a mark-failed as failed.
function outcomeOf(event) {
  switch (event.type) {
    case 'JobFinished': return event.status;
    case 'ExecutionMarkedFailed': case 'AttemptFailed': return 'failed';
    case 'JobMissed': return 'missed';
    case 'JobSkipped': return 'skipped';
    case 'QueuedRunCancelled': case 'CancelRequested': return 'cancelled';
    default: return 'info';
  }
}

// The first event that ended the run decides it (as the read model does); a later one is shown as
// superseded, so the timeline tells the same story as the status.
function renderTimeline() {
  const { events, timeline } = current;
  const ordered = [...events].sort((a, b) => (toMillis(a.occurred_at) ?? 0) - (toMillis(b.occurred_at) ?? 0) || (a.sequence ?? 0) - (b.sequence ?? 0));
  let ended = false;
  replaceChildren(timeline, ordered.length ? ordered.map((event) => {
    const superseded = ENDS_RUN.has(event.type) && ended;
    if (ENDS_RUN.has(event.type)) ended = true;
    return h('li', { 'data-type': event.type, 'data-outcome': superseded ? 'superseded' : outcomeOf(event) },
      h('time', {}, formatTime(event.occurred_at)), h('strong', {}, t(`event.${event.type}`, { reason: '' }).replace(/[：:]\s*$/, '')),
      h('span', {}, eventText(event), superseded ? h('small', { class: 'block muted' }, t('run.superseded')) : null));
  }) : h('li', { class: 'muted' }, t('run.no_events')));
}
