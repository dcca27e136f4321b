// Bulk actions on runs (admin only): a checkbox per row, "select all matching the filter (N)", one
// confirmation (the safe choice focused), then the operation's progress until it is done; and a job's
// retention command ("delete finished runs before …"). Each run becomes its own command on the server.
import { api, describeError } from './api.js';
import { busy, confirmDialog, h, openDialog, replaceChildren, showBanner, toast, unreachable } from './dom.js';
import { fromLocalInput, toIsoAtOffset } from './format.js';
import { t } from './i18n.js';
import { isAdmin, state } from './state.js';

const POLL_MS = 500;
const MAX_BULK_RUNS = 10000; // the API's bound: more is refused with 422
const selection = { ids: new Set(), allMatching: false };
let source = { items: () => [], total: () => 0, filter: () => ({}), reload: () => {} };

// How the bar reads the runs view: the page's runs, the filtered total, the API filter, a reload.
export function connectBulk(view) {
  source = view;
}

export function clearSelection() {
  selection.ids.clear();
  selection.allMatching = false;
}

// The row's checkbox (none for a viewer).
export function selectBox(run) {
  if (!isAdmin()) return null;
  const box = h('input', { type: 'checkbox', class: 'row-select', 'data-role': 'select-run', 'data-execution-id': run.execution_id,
    'aria-label': t('bulk.select_run', { id: run.execution_id.slice(0, 8) }) });
  box.checked = selection.allMatching || selection.ids.has(run.execution_id);
  box.disabled = selection.allMatching;
  box.addEventListener('change', () => {
    if (box.checked) selection.ids.add(run.execution_id);
    else selection.ids.delete(run.execution_id);
    renderBulkBar();
  });
  return box;
}

const chosenCount = () => (selection.allMatching ? source.total() : selection.ids.size);

export function renderBulkBar() {
  const bar = document.getElementById('runs-bulk');
  if (!bar) return;
  bar.hidden = !isAdmin();
  if (!isAdmin()) return;
  const items = source.items();
  const pageBox = h('input', { type: 'checkbox', 'data-role': 'select-page' });
  pageBox.checked = items.length > 0 && items.every((run) => selection.allMatching || selection.ids.has(run.execution_id));
  pageBox.disabled = selection.allMatching || items.length === 0;
  pageBox.addEventListener('change', () => {
    for (const run of items) {
      if (pageBox.checked) selection.ids.add(run.execution_id);
      else selection.ids.delete(run.execution_id);
    }
    refreshBoxes();
  });
  const count = chosenCount();
  const total = source.total();
  const all = selection.allMatching
    ? h('button', { type: 'button', class: 'small ghost', 'data-role': 'select-none', onclick: () => { clearSelection(); refreshBoxes(); } }, t('bulk.clear'))
    : h('button', { type: 'button', class: 'small', 'data-role': 'select-all', disabled: total === 0, onclick: () => {
      selection.allMatching = true;
      refreshBoxes();
    } }, t('bulk.select_all', { count: total }));
  replaceChildren(bar,
    h('label', { class: 'inline' }, pageBox, h('span', {}, t('bulk.select_page'))),
    all,
    h('span', { 'data-testid': 'bulk-count', class: 'muted' }, t('bulk.selected', { count })),
    h('button', { type: 'button', class: 'small danger', 'data-role': 'bulk-delete', disabled: count === 0, onclick: (event) => run('delete', event.currentTarget) }, t('bulk.delete')),
    h('button', { type: 'button', class: 'small danger', 'data-role': 'bulk-mark-failed', disabled: count === 0, onclick: (event) => run('mark_failed', event.currentTarget) }, t('bulk.mark_failed')),
    h('button', { type: 'button', class: 'small ghost', 'data-role': 'retention', onclick: openRetention }, t('retention.open')),
    h('span', { 'data-testid': 'bulk-progress', role: 'status', 'aria-live': 'polite', class: 'muted' }));
}

function refreshBoxes() {
  for (const box of document.querySelectorAll('#runs-table [data-role=select-run]')) {
    box.checked = selection.allMatching || selection.ids.has(box.dataset.executionId);
    box.disabled = selection.allMatching;
  }
  renderBulkBar();
}

function requestBody(action) {
  if (selection.allMatching) return { action, filter: source.filter() };
  return { action, execution_ids: [...selection.ids] };
}

async function run(action, button) {
  const count = chosenCount();
  if (count > MAX_BULK_RUNS) {
    showBanner(t('bulk.too_many', { count, max: MAX_BULK_RUNS }));
    return;
  }
  const message = t(action === 'delete' ? 'bulk.confirm_delete' : 'bulk.confirm_mark_failed', { count });
  const label = t(action === 'delete' ? 'bulk.delete' : 'bulk.mark_failed');
  if (!(await confirmDialog(message, { confirmLabel: label, danger: true }))) return;
  await busy(button, async () => {
    const body = requestBody(action);
    const started = await api.bulk(body);
    clearSelection();
    renderBulkBar();
    await follow(started, (operationId) => api.bulk({ ...body, operation_id: operationId }));
  }, (error) => showBanner(describeError(error)));
}

// The operation's progress in the bar until it has ended, then a toast and the list read again. While the
// API restarts, the progress is read again once it answers (the API that starts carries the operation on);
// an operation the broker stopped is offered again under its id: the server does nothing twice.
async function follow(started, resend) {
  let progress = started;
  const show = () => {
    const element = document.querySelector('[data-testid=bulk-progress]');
    if (element) element.textContent = t('bulk.progress', progress);
  };
  show();
  while (progress.state === 'running') {
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
    progress = await progressOf(progress);
    show();
  }
  const summary = t(progress.action === 'delete' ? 'bulk.done_delete' : 'bulk.done_mark_failed', progress);
  if (progress.state === 'failed') {
    const again = async () => {
      try {
        await follow(await resend(progress.operation_id), resend);
      } catch (error) {
        showBanner(describeError(error));
      }
    };
    toast(`${summary} ${t('bulk.failed', { error: progress.error ?? '' })}`, 'error', { label: t('action.retry'), run: again });
  } else toast(summary, 'success');
  source.reload();
}

// The operation's progress; the last known one while the server cannot be reached (it is polled again).
async function progressOf(known) {
  try {
    return await api.bulkProgress(known.operation_id);
  } catch (error) {
    if (unreachable(error)) return known;
    throw error;
  }
}

function openRetention() {
  const jobs = [...state.jobs.values()];
  const current = source.filter().job_id ?? '';
  const jobSelect = h('select', { name: 'job_id', required: true },
    jobs.map((job) => h('option', { value: job.id, selected: job.id === current }, job.display_name || job.name)));
  const before = h('input', { type: 'datetime-local', name: 'before', required: true });
  const submit = h('button', { type: 'submit', class: 'danger', form: 'retention-form', 'data-role': 'submit' }, t('retention.submit'));
  const form = h('form', { id: 'retention-form', class: 'stack', novalidate: true },
    h('p', { class: 'muted' }, t('retention.hint')),
    h('label', {}, h('span', {}, t('retention.job')), jobSelect),
    h('label', {}, h('span', {}, t('retention.before')), before));
  const dialog = openDialog({ title: t('retention.title'), body: form, actions: [submit], testid: 'retention-dialog' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const moment = fromLocalInput(before.value);
    if (!jobSelect.value || moment === null) {
      dialog.setError(t('retention.invalid'));
      return;
    }
    await busy(submit, async () => {
      const [jobId, bound] = [jobSelect.value, toIsoAtOffset(moment)];
      const started = await api.retention(jobId, bound);
      dialog.close();
      await follow(started, (operationId) => api.retention(jobId, bound, operationId));
    }, (error) => dialog.setError(describeError(error)));
  });
}
