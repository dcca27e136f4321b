// Backfills: the dialog that asks for one (a range of days, how many at once) on a job whose kind takes a
// date range, and its live progress (total, done, failed, running, each day's run), polled while open.
import { describeError, request } from './api.js';
import { busy, h, openDialog, toast } from './dom.js';
import { t } from './i18n.js';

const SCHEDULER = '/api/scheduler';
const POLL_MS = 1000;
const ENDED = new Set(['finished', 'cancelled']);
const enc = encodeURIComponent;

export const backfillApi = {
  request: (jobId, body) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/backfill`, { json: body }),
  list: (query = {}) => request('GET', `${SCHEDULER}/backfills`, { query }),
  get: (backfillId) => request('GET', `${SCHEDULER}/backfills/${enc(backfillId)}`),
  cancel: (backfillId) => request('POST', `${SCHEDULER}/backfills/${enc(backfillId)}/cancel`),
};

let kindsTakingRanges = null;

// Whether a job's kind takes a date range (`GET /kinds`, asked once per page).
export async function takesDateRange(kind) {
  if (!kindsTakingRanges) {
    kindsTakingRanges = request('GET', `${SCHEDULER}/kinds`)
      .then((kinds) => new Set(kinds.filter((item) => item.takes_date_range).map((item) => item.kind)))
      .catch(() => new Set());
  }
  return (await kindsTakingRanges).has(kind);
}

// A "Backfill…" button for the job's detail when its kind takes a date range (null otherwise).
export async function backfillButton(job, beforeOpen = () => {}) {
  if (!(await takesDateRange(job.func))) return null;
  return h('button', {
    type: 'button', 'data-role': 'backfill',
    onclick: () => { beforeOpen(); openBackfillDialog(job.id); },
  }, t('backfill.open'));
}

export function openBackfillDialog(jobId) {
  const start = h('input', { type: 'date', name: 'start_date', required: true });
  const end = h('input', { type: 'date', name: 'end_date', required: true });
  const parallel = h('input', { type: 'number', name: 'max_parallel', min: '1', step: '1', value: '1' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-role': 'submit', form: 'backfill-form' }, t('backfill.submit'));
  const form = h('form', { id: 'backfill-form', class: 'stack', novalidate: true },
    h('p', { class: 'muted' }, t('backfill.hint')),
    h('label', {}, h('span', {}, t('backfill.start')), start),
    h('label', {}, h('span', {}, t('backfill.end')), end),
    h('label', {}, h('span', {}, t('backfill.parallel')), parallel));
  const dialog = openDialog({ title: t('backfill.title', { id: jobId }), body: form, actions: [submit], testid: 'backfill-dialog' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!start.value || !end.value) {
      dialog.setError(t('backfill.range_needed'));
      return;
    }
    const body = { start_date: start.value, end_date: end.value, max_parallel: Number.parseInt(parallel.value || '1', 10) };
    await busy(submit, async () => {
      const created = await backfillApi.request(jobId, body);
      dialog.close();
      if (created?.backfill_id) {
        toast(t('backfill.requested', { id: jobId, total: created.total }), 'success');
        showBackfillProgress(created.backfill_id);
      } else {
        toast(t('backfill.accepted', { id: jobId }), 'success');
      }
    }, (error) => dialog.setError(describeError(error)));
  });
}

const counter = (key, value) => h('div', { class: 'stat', 'data-count': key },
  h('span', { class: 'muted' }, t(`backfill.${key === 'cancelled' ? 'cancelled_count' : key}`)), h('strong', {}, String(value)));

function renderProgress(backfill) {
  const share = backfill.total ? Math.round((100 * (backfill.done + backfill.failed + backfill.cancelled)) / backfill.total) : 0;
  return h('div', { class: 'stack' },
    h('p', {}, t(`backfill.status.${backfill.status}`), ' · ', `${backfill.start_date} → ${backfill.end_date}`,
      ' · ', t('backfill.parallel_of', { n: backfill.max_parallel })),
    h('progress', { max: '100', value: String(share), 'aria-label': t('backfill.progress') }),
    h('div', { class: 'stats-row' }, ...['total', 'done', 'failed', 'running', 'pending', 'cancelled'].map((key) => counter(key, backfill[key]))),
    h('table', { class: 'compact' },
      h('thead', {}, h('tr', {}, h('th', {}, t('backfill.day')), h('th', {}, t('backfill.run_status')), h('th', {}, t('backfill.execution')))),
      h('tbody', {}, ...(backfill.runs ?? []).map((run) => h('tr', { 'data-day': run.day },
        h('td', {}, run.day), h('td', {}, t(`status.${run.status}`) === `status.${run.status}` ? run.status : t(`status.${run.status}`)),
        h('td', { class: 'mono' }, run.status === 'pending' ? '—' : run.execution_id.slice(-12)))))));
}

// The live view of one backfill: refreshed every second until it has ended or the dialog is closed.
export function showBackfillProgress(backfillId) {
  const content = h('div', { 'aria-busy': 'true', 'aria-live': 'polite' }, '…');
  const cancel = h('button', { type: 'button', class: 'danger', 'data-role': 'cancel-backfill' }, t('backfill.cancel'));
  const dialog = openDialog({ title: t('backfill.progress_title', { id: backfillId.slice(0, 10) }), body: content, actions: [cancel], testid: 'backfill-progress', wide: true });
  let open = true;
  dialog.done.then(() => { open = false; });
  const refresh = async () => {
    if (!open) return;
    try {
      const backfill = await backfillApi.get(backfillId);
      content.replaceChildren(renderProgress(backfill));
      content.removeAttribute('aria-busy');
      cancel.hidden = ENDED.has(backfill.status) || backfill.status === 'cancelling';
      if (!ENDED.has(backfill.status)) setTimeout(refresh, POLL_MS);
    } catch (error) {
      dialog.setError(describeError(error));
      setTimeout(refresh, POLL_MS * 3);
    }
  };
  cancel.addEventListener('click', async () => {
    await busy(cancel, async () => {
      await backfillApi.cancel(backfillId);
      toast(t('backfill.cancelled'), 'success');
      refresh();
    }, (error) => dialog.setError(describeError(error)));
  });
  refresh();
}
