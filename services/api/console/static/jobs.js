// Job actions: edit metadata, pause, resume, trigger (force + kwargs), and the job detail dialog.
import { api, ApiError, describeError, KWARGS_MAX_BYTES } from './api.js';
import { badge, busy, confirmDialog, h, openDialog, showBanner, toast } from './dom.js';
import { codePoints, describeTrigger, formatDuration, formatTime } from './format.js';
import { t } from './i18n.js';
import { backfillButton } from './backfills.js';
import { openJobForm } from './job_forms.js';
import { isAdmin, state } from './state.js';

export const DISPLAY_NAME_MAX = 50;
export const DESCRIPTION_MAX = 200;

let showRunsOf = () => {};
let showRun = () => {};
export function setNavigation({ runsOfJob, run }) {
  showRunsOf = runsOfJob;
  showRun = run;
}

// The buttons an admin has on a job (none for a viewer: they are not rendered at all).
export function jobActionButtons(job, { compact = false } = {}) {
  if (!isAdmin()) return [];
  const button = (action, label, run, kind = '') => h('button', {
    type: 'button', class: `${compact ? 'small' : ''} ${kind}`.trim(), 'data-action': action, 'data-job-id': job.id, onclick: run,
    'aria-label': `${label} ${job.display_name || job.name || job.id}`,
  }, label);
  return [
    button('edit', t('action.edit'), () => editJob(job.id)),
    job.paused
      ? button('resume', t('action.resume'), (event) => setPaused(job.id, false, event.currentTarget))
      : button('pause', t('action.pause'), (event) => setPaused(job.id, true, event.currentTarget)),
    button('trigger', t('action.trigger'), () => triggerJob(job.id), 'primary'),
  ];
}

async function setPaused(jobId, paused, button) {
  await busy(button, async () => {
    if (paused) await api.pause(jobId);
    else if (!(await resumeAsking(jobId))) return;
    // The row changes when the scheduler's JobPaused / JobResumed arrives on the stream.
    toast(t(paused ? 'pause.done' : 'resume.done', { id: jobId }), 'success');
  }, (error) => showBanner(describeError(error)));
}

// A job registered disabled (e.g. no token) is refused (409) with its reason: the admin decides, knowingly.
async function resumeAsking(jobId) {
  try {
    await api.resume(jobId);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
    const job = state.jobs.get(jobId);
    const message = t('resume.confirm', { id: job?.display_name || job?.name || jobId, reason: job?.paused_reason || error.detail });
    if (!(await confirmDialog(message, { confirmLabel: t('resume.anyway'), danger: true }))) return false;
    await api.resume(jobId, true);
    return true;
  }
}

// ---- metadata

export function metadataProblems(displayName, description) {
  const problems = [];
  const nameLength = codePoints(displayName);
  const descriptionLength = codePoints(description);
  if (nameLength > DISPLAY_NAME_MAX) {
    problems.push(t('edit.too_long', { field: t('edit.display_name'), max: DISPLAY_NAME_MAX, count: nameLength }));
  }
  if (descriptionLength > DESCRIPTION_MAX) {
    problems.push(t('edit.too_long', { field: t('edit.description'), max: DESCRIPTION_MAX, count: descriptionLength }));
  }
  return problems;
}

function counted(input, max) {
  const counter = h('span', { class: 'counter' });
  const update = () => {
    const count = codePoints(input.value);
    counter.textContent = `${count}/${max}`;
    counter.classList.toggle('over', count > max);
  };
  input.addEventListener('input', update);
  update();
  return counter;
}

function editJob(jobId) {
  const job = state.jobs.get(jobId);
  const nameInput = h('input', { name: 'display_name', value: job.display_name ?? '' });
  const descriptionInput = h('textarea', { name: 'description', rows: 4 }, job.description ?? '');
  const save = h('button', { type: 'submit', class: 'primary', 'data-role': 'save', form: 'edit-form' }, t('action.save'));
  const form = h('form', { id: 'edit-form', class: 'stack', novalidate: true },
    h('label', {}, h('span', {}, t('edit.display_name'), ' ', counted(nameInput, DISPLAY_NAME_MAX)), nameInput),
    h('label', {}, h('span', {}, t('edit.description'), ' ', counted(descriptionInput, DESCRIPTION_MAX)), descriptionInput));
  const dialog = openDialog({ title: t('edit.title', { id: jobId }), body: form, actions: [save], testid: 'edit-dialog' });
  const validate = () => {
    const problems = metadataProblems(nameInput.value, descriptionInput.value);
    dialog.setError(problems.join('；'));
    save.disabled = problems.length > 0;
    return problems.length === 0;
  };
  form.addEventListener('input', validate);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!validate()) return;
    const changes = {};
    if (nameInput.value !== (job.display_name ?? '')) changes.display_name = nameInput.value;
    if (descriptionInput.value !== (job.description ?? '')) changes.description = descriptionInput.value;
    if (Object.keys(changes).length === 0) {
      dialog.setError(t('edit.unchanged'));
      return;
    }
    await busy(save, async () => {
      await api.updateMetadata(jobId, changes);
      toast(t('edit.done', { id: jobId }), 'success');
      dialog.close();
    }, (error) => dialog.setError(describeError(error)));
  });
}

// ---- trigger

// The kwargs text as the API will take it: null (no body), an object, or an error message.
export function parseKwargs(text) {
  const trimmed = text.trim();
  if (trimmed === '') return { kwargs: null };
  const size = new TextEncoder().encode(JSON.stringify({ kwargs: trimmed })).length;
  if (size > KWARGS_MAX_BYTES) return { error: t('trigger.too_large', { size, max: KWARGS_MAX_BYTES }) };
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { error: t('trigger.kwargs_invalid', { error: error.message }) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: t('trigger.kwargs_object') };
  return { kwargs: value };
}

// A one-off run's moment from a datetime-local value (the browser's own time zone): ISO with its offset,
// null when empty, or an error when not in the future (the API checks the bounds again).
export function parseRunAt(value) {
  if (!value) return { iso: null };
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return { error: t('trigger.run_at_invalid') };
  if (moment.getTime() <= Date.now()) return { error: t('trigger.run_at_past') };
  return { iso: moment.toISOString() };
}

function triggerJob(jobId) {
  const force = h('input', { type: 'checkbox', name: 'force', role: 'switch' });
  const kwargsInput = h('textarea', { name: 'kwargs', rows: 5, class: 'mono', placeholder: '{"duration_s": 3}', spellcheck: 'false' });
  const runAtInput = h('input', { type: 'datetime-local', name: 'run_at', step: 1, 'data-role': 'run-at' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-role': 'submit', form: 'trigger-form' }, t('action.trigger'));
  const form = h('form', { id: 'trigger-form', class: 'stack', novalidate: true },
    h('label', { class: 'switch' }, force, h('span', {}, t('trigger.force'))),
    h('label', {}, h('span', {}, t('trigger.run_at')), runAtInput),
    h('label', {}, h('span', {}, t('trigger.kwargs')), kwargsInput));
  const dialog = openDialog({ title: t('trigger.title', { id: jobId }), body: form, actions: [submit], testid: 'trigger-dialog' });
  kwargsInput.addEventListener('input', () => dialog.setError(parseKwargs(kwargsInput.value).error));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const parsed = parseKwargs(kwargsInput.value);
    if (parsed.error) {
      dialog.setError(parsed.error);
      return;
    }
    const runAt = parseRunAt(runAtInput.value);
    if (runAt.error) {
      dialog.setError(runAt.error);
      return;
    }
    await busy(submit, async () => {
      const result = await api.trigger(jobId, force.checked, parsed.kwargs, runAt.iso);
      dialog.close();
      const done = runAt.iso ? 'trigger.scheduled' : 'trigger.done';
      toast(t(done, { id: jobId, execution: result.execution_id.slice(0, 8), at: runAtInput.value.replace('T', ' ') }), 'success',
        { label: t('action.view'), run: () => showRun(result.execution_id) });
    }, (error) => dialog.setError(describeError(error)));
  });
}

// ---- detail

const row = (label, ...value) => h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, ...value));
const json = (value) => h('pre', { class: 'mono', tabindex: 0 }, JSON.stringify(value ?? null, null, 2));

export async function showJobDetail(jobId) {
  const content = h('div', { class: 'detail', 'aria-busy': 'true' }, '…');
  const dialog = openDialog({ title: t('detail.title', { id: jobId }), body: content, testid: 'job-detail', wide: true });
  try {
    const [job, stats, history] = await Promise.all([api.job(jobId), api.jobStats(jobId), api.jobHistory(jobId).catch(() => null)]);
    content.replaceChildren(renderDetail(job, stats, history?.history ?? []));
    content.removeAttribute('aria-busy');
    const actions = dialog.dialog.querySelector('.dialog-actions');
    if (isAdmin()) {  // jobs as data: trigger, parameters, policy; delete or reset from there
      actions.prepend(h('button', { type: 'button', 'data-role': 'edit-definition', onclick: () => { dialog.close(); openJobForm({ jobId }); } },
        t('jobform.define')));
      backfillButton(job, () => dialog.close()).then((button) => button && actions.prepend(button));  // kinds with a date range
    }
    actions.prepend(h('button', { type: 'button', onclick: () => { dialog.close(); showRunsOf(jobId); } }, t('action.runs')),
      ...jobActionButtons(job).map((button) => {
        button.addEventListener('click', () => dialog.close());
        return button;
      }));
  } catch (error) {
    content.replaceChildren();
    dialog.setError(describeError(error));
  }
}

const historyAction = (action) => {
  const key = `history.${action}`;
  return t(key) === key ? action : t(key);
};

function renderDetail(job, stats, history) {
  const last = stats.last_execution;
  return h('div', { class: 'detail-grid' },
    h('dl', {},
      row(t('detail.id'), h('code', {}, job.id)),
      row(t('detail.name'), job.name),
      row(t('col.display_name'), job.display_name ?? '—'),
      row(t('col.description'), job.description ?? '—'),
      row(t('col.trigger'), describeTrigger(job.trigger)),
      row(t('detail.raw_trigger'), h('code', {}, job.trigger)),
      row(t('col.next_run'), formatTime(job.next_run_time)),
      row(t('col.state'), badge(job.paused ? 'paused' : 'enabled', t(job.paused ? 'state.paused' : 'state.enabled')),
        job.paused && job.paused_reason ? h('small', { class: 'block muted' }, job.paused_reason) : null),
      row(t('detail.func'), h('code', {}, job.func)),
      row(t('detail.args'), json(job.args)),
      row(t('detail.kwargs'), json(job.kwargs))),
    h('div', {},
      h('h3', {}, t('detail.policies')),
      h('dl', {},
        row(t('detail.misfire'), job.misfire_grace_time == null ? '—' : t('seconds', { n: job.misfire_grace_time })),
        row(t('detail.max_instances'), String(job.max_instances)),
        row(t('detail.coalesce'), t(job.coalesce ? 'yes' : 'no'))),
      h('h3', {}, t('detail.stats')),
      h('div', { class: 'mini-stats', 'data-testid': 'job-stats' },
        ...['total', 'success', 'partial', 'failed', 'missed', 'cancelled', 'skipped', 'running'].map((name) =>
          h('div', {}, h('strong', {}, String(stats[name] ?? 0)), h('span', {}, name === 'total' ? t('detail.total') : t(`status.${name}`))))),
      h('dl', {},
        row(t('detail.avg'), stats.success ? formatDuration(stats.avg_execution_time) : '—'),
        row(t('detail.last'), last ? [badge(last.status, t(`status.${last.status}`)), ' ', formatTime(last.timestamp)] : '—')),
      history.length ? h('h3', {}, t('detail.history')) : null,
      history.length ? h('ul', { class: 'history' }, history.map((entry) =>
        h('li', {}, formatTime(entry.timestamp), ' · ', historyAction(entry.action), ' · ', entry.actor ?? '', ' ',
          badge(entry.status === 'success' ? 'success' : 'failed', t(entry.status === 'success' ? 'history.ok' : 'history.refused'))))) : null));
}
