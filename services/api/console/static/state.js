// What the page knows: the user, the jobs, and the latest live state of each run seen on the stream.
//
// The stream and the read models are fed by the same events but separately: a list fetched just after an
// event may not show it yet. So the state a run reached live is kept, and a fetched record that is behind
// it is completed with it (a finished run never goes back to running; progress never goes back).
import { toMillis } from './format.js';

export const state = {
  me: null,
  jobs: new Map(),
  lastRun: new Map(), // job_id -> {execution_id, status, timestamp, progress}
  inProgress: new Set(), // execution ids queued or running
};

export const isAdmin = () => state.me?.role === 'admin';

export const IN_PROGRESS = new Set(['scheduled', 'waiting', 'queued', 'running']);
export const isTerminal = (status) => !IN_PROGRESS.has(status);

const missing = (value) => value === null || value === undefined;
const liveRuns = new Map(); // execution_id -> fields learnt from the stream
const deletedRuns = new Set();
const LIVE_LIMIT = 1000;

const seconds = (from, to) => {
  const start = toMillis(from);
  const end = toMillis(to);
  return start === null || end === null ? null : Math.round(Math.max(0, end - start)) / 1000;
};

// An ended run's duration where it is not known yet, as the API derives it: from its start to its end,
// whichever fact ended it first (a mark-failed ends a run before its worker's own finish, which then
// changes nothing).
function withDuration(run) {
  if (!isTerminal(run.status) || !missing(run.execution_time) || !run.started_at || !run.finished_at) return run;
  return { ...run, execution_time: seconds(run.started_at, run.finished_at) };
}

// The fields of a run that one event tells; null for events that are not about a run.
function runFields(type, event) {
  const base = { execution_id: event.execution_id, job_id: event.job_id, attempt: event.attempt };
  switch (type) {
    case 'RunQueued':
      return { ...base, _id: event.execution_id, status: 'queued', job_name: event.job_name, scheduled_time: event.scheduled_time,
        timestamp: event.occurred_at, is_manual: event.is_manual, kwargs: event.kwargs, force: event.force, actor: event.actor };
    case 'RunScheduled': // a one-off run waiting for its moment
      return { ...base, _id: event.execution_id, status: 'scheduled', job_name: event.job_name, scheduled_time: event.scheduled_time,
        timestamp: event.occurred_at, is_manual: true, kwargs: event.kwargs, force: event.force, actor: event.actor };
    case 'RunWaiting': // a clock's fire waiting for its upstream jobs (policy.after)
      return { ...base, _id: event.execution_id, status: 'waiting', job_name: event.job_name, scheduled_time: event.scheduled_time,
        timestamp: event.occurred_at, is_manual: false, kwargs: event.kwargs, waiting_for: event.waiting_for,
        wait_until: event.wait_until };
    case 'JobStarted':
      return { ...base, status: 'running', job_name: event.job_name, started_at: event.started_at,
        scheduled_time: event.scheduled_time, is_manual: event.is_manual, worker_id: event.worker_id };
    case 'Progress':
      return { ...base, status: 'running', progress: event.progress, progress_message: event.message,
        current_item: event.current_item, total_items: event.total_items, processed_items: event.processed_items,
        updated_at: event.occurred_at };
    case 'JobFinished':
      return { ...base, status: event.status, started_at: event.started_at, finished_at: event.finished_at,
        return_value: event.return_value,
        error_message: event.error_message, traceback: event.traceback,
        ...(event.status === 'success' ? { progress: 100 } : {}) };
    case 'AttemptFailed':
      return { ...base, status: 'queued', error_message: event.error_message, traceback: event.traceback };
    case 'JobMissed':
    case 'JobSkipped':
      return { ...base, _id: event.execution_id, status: type === 'JobMissed' ? 'missed' : 'skipped', job_name: event.job_name,
        scheduled_time: event.scheduled_time, timestamp: event.occurred_at, is_manual: Boolean(event.is_manual),
        error_message: event.reason };
    case 'CancelRequested':
      return { ...base, cancel_requested: true };
    case 'QueuedRunCancelled': // cancelled before any worker started it
      return { ...base, status: 'cancelled', cancel_requested: true, finished_at: event.occurred_at };
    case 'ExecutionMarkedFailed':
      return { ...base, status: 'failed', error_message: event.reason, finished_at: event.occurred_at };
    default:
      return null;
  }
}

const defined = (fields) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

// Apply a stream event; returns the run's live fields after it, {deleted: true}, or null (not a run event).
export function applyRunEvent(type, event) {
  if (!event?.execution_id) return null;
  if (type === 'ExecutionDeleted') {
    deletedRuns.add(event.execution_id);
    liveRuns.delete(event.execution_id);
    state.inProgress.delete(event.execution_id);
    return { execution_id: event.execution_id, deleted: true };
  }
  const fields = runFields(type, event);
  if (fields === null) return null;
  const known = liveRuns.get(event.execution_id) ?? {};
  let next = { ...known, ...defined(fields) };
  if (known.status && isTerminal(known.status)) {
    // Ended: a late progress or start changes nothing; a later JobFinished only adds what was missing.
    next = { ...defined(fields), ...known };
  } else if (type === 'Progress' && (known.progress ?? 0) > (fields.progress ?? 0)) {
    next = { ...next, progress: known.progress };
  }
  next = withDuration(next);
  liveRuns.delete(event.execution_id);
  liveRuns.set(event.execution_id, next);
  if (liveRuns.size > LIVE_LIMIT) liveRuns.delete(liveRuns.keys().next().value);
  if (isTerminal(next.status)) state.inProgress.delete(event.execution_id);
  else state.inProgress.add(event.execution_id);
  return next;
}

export const isDeleted = (executionId) => deletedRuns.has(executionId);

// A fetched run, completed with what the stream already told about it.
export function withLiveState(run) {
  const live = liveRuns.get(run.execution_id ?? run._id);
  if (!live) return run;
  if (isTerminal(run.status)) {
    // Ended: the fetched record stands; the stream only fills what it lacks (e.g. the end of a run that
    // ended while the page showed it running).
    const lacking = Object.entries(live).filter(([name, value]) => missing(run[name]) && !missing(value));
    return withDuration({ ...run, ...Object.fromEntries(lacking), cancel_requested: run.cancel_requested || Boolean(live.cancel_requested) });
  }
  const overtaken = (['scheduled', 'waiting'].includes(run.status) && ['queued', 'running'].includes(live.status))
    || (run.status === 'queued' && live.status === 'running');
  if (isTerminal(live.status) || overtaken) return withDuration({ ...run, ...defined(live) });
  if ((live.progress ?? -1) > (run.progress ?? -1)) {
    const { progress, progress_message, current_item, total_items, processed_items } = live;
    return { ...run, ...defined({ progress, progress_message, current_item, total_items, processed_items }),
      cancel_requested: run.cancel_requested || Boolean(live.cancel_requested) };
  }
  return { ...run, cancel_requested: run.cancel_requested || Boolean(live.cancel_requested) };
}

// The live fields of a run the stream told about, for a row that was not in a fetched page.
export const liveRun = (executionId) => liveRuns.get(executionId) ?? null;
