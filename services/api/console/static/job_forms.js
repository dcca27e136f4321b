// Jobs as data: the create and edit forms (built from the kind's parameter schema), the next-runs preview of
// the trigger being typed, delete (jobs created here) and reset (catalogue jobs). The server checks
// everything again and answers each refusal with its reason, shown on the form's error line.
import { api, describeError } from './api.js';
import { busy, confirmDialog, h, openDialog, toast } from './dom.js';
import { formatTime } from './format.js';
import { t } from './i18n.js';

const PREVIEW_RUNS = 5;
const PREVIEW_DELAY_MS = 300;
const POLICY_FIELDS = [
  ['overlap', 'select', ['skip', 'allow']],
  ['max_concurrent', 'number'],
  ['max_attempts', 'number'],
  ['retry_backoff_s', 'number'],
  ['timeout_s', 'number'],
  ['misfire_grace_time', 'number'],
  // dependencies: a time trigger waits at its fire for these jobs (comma-separated ids), up to the timeout
  ['after', 'list'],
  ['wait_timeout_s', 'number'],
  ['window', 'choice', ['day', 'rolling']],
  ['calendar', 'select', ['none', 'cn_a_share']],  // policy.calendar: trading days only
];

// The type a property of the kind's JSON schema takes (a nullable `anyOf` is its non-null member).
function propertyType(property) {
  const options = property.anyOf ?? [property];
  const typed = options.find((option) => option.type && option.type !== 'null') ?? {};
  return { type: typed.type ?? 'string', values: typed.enum ?? property.enum ?? null };
}

function parameterField(name, property, value) {
  const { type, values } = propertyType(property);
  const attributes = { name: `kw.${name}`, 'data-kind': type, title: property.description ?? '' };
  let input;
  if (type === 'boolean') {
    input = h('input', { ...attributes, type: 'checkbox' });
    input.checked = value === true;
  } else if (values) {
    input = h('select', attributes, h('option', { value: '' }, '—'), ...values.map((item) => h('option', { value: item }, item)));
    input.value = value ?? '';
  } else {
    const numeric = type === 'integer' || type === 'number';
    input = h('input', { ...attributes, type: numeric ? 'number' : 'text', step: type === 'number' ? 'any' : '1' });
    input.value = value == null ? '' : Array.isArray(value) ? value.join(',') : String(value);
  }
  return h('label', { class: 'field' }, h('span', {}, name), input,
    property.description ? h('small', { class: 'muted' }, property.description) : null);
}

function readParameters(container) {
  const kwargs = {};
  for (const input of container.querySelectorAll('[name^="kw."]')) {
    const name = input.name.slice(3);
    const kind = input.dataset.kind;
    if (kind === 'boolean') {
      if (input.checked) kwargs[name] = true;
      continue;
    }
    if (input.value === '') continue;
    kwargs[name] = kind === 'integer' ? Number.parseInt(input.value, 10) : kind === 'number' ? Number(input.value) : input.value;
  }
  return kwargs;
}

function policyFields(policy) {
  return POLICY_FIELDS.map(([name, kind, values]) => {
    const attributes = { name: `policy.${name}` };
    const label = (item) => (name === 'calendar' ? t(`jobform.calendar.${item}`) : item || '—');
    let input;
    if (kind === 'select' || kind === 'choice') { // a choice may be left unset
      const options = [...(kind === 'choice' ? [''] : []), ...values];
      input = h('select', attributes, ...options.map((item) => h('option', { value: item }, label(item))));
    } else if (kind === 'list') {
      input = h('input', { ...attributes, type: 'text', placeholder: 'job_a,job_b' });
    } else {
      input = h('input', { ...attributes, type: 'number', min: '0', step: 'any' });
    }
    const value = policy?.[name];
    const unset = name === 'calendar' ? 'none' : '';
    input.value = value == null ? unset : Array.isArray(value) ? value.join(',') : String(value);
    return h('label', { class: 'field' }, h('span', {}, t(`jobform.policy.${name}`)), input);
  });
}

function readPolicy(form) {
  const policy = {};
  for (const [name, kind] of POLICY_FIELDS) {
    const value = form.querySelector(`[name="policy.${name}"]`).value;
    if (value === '') continue;
    if (kind === 'list') policy[name] = value.split(',').map((item) => item.trim()).filter(Boolean);
    else policy[name] = kind === 'select' || kind === 'choice' ? value : Number(value);
  }
  return policy;
}

// The next runs of the trigger being typed (or why it cannot be used), asked for after a pause in typing.
function previewPanel(triggerInput, calendarOf = () => null) {
  const panel = h('div', { class: 'preview', 'data-testid': 'trigger-preview', 'aria-live': 'polite' });
  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const trigger = triggerInput.value.trim();
    const ticket = ++asked;
    if (!trigger) {
      panel.replaceChildren();
      return;
    }
    try {
      const calendar = calendarOf();
      const policy = calendar && calendar !== 'none' ? { calendar } : null;
      const preview = await api.previewTrigger(trigger, PREVIEW_RUNS, policy);
      if (ticket !== asked) return;
      panel.replaceChildren(h('p', { 'data-role': 'description' }, preview.description),
        h('ol', { 'data-role': 'next-runs' }, ...preview.next_runs.map((run) => h('li', {}, formatTime(run)))),
        preview.calendar_note ? h('p', { class: 'muted', 'data-role': 'calendar-note' }, preview.calendar_note) : null);
    } catch (error) {
      if (ticket !== asked) return;
      panel.replaceChildren(h('p', { class: 'form-error', 'data-role': 'preview-error' }, describeError(error)));
    }
  };
  triggerInput.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, PREVIEW_DELAY_MS);
  });
  return { panel, refresh };
}

const field = (label, input) => h('label', { class: 'field' }, h('span', {}, label), input);

// Pages that list jobs reload them on this event (a job created, changed, deleted or reset here).
export const JOBS_CHANGED = 'scheduler:jobs-changed';
const changed = () => window.dispatchEvent(new CustomEvent(JOBS_CHANGED));

// Create (no `jobId`) or edit a job; `onDone` is called after the change (the page reloads its jobs too).
export async function openJobForm({ jobId = null, onDone = () => {} } = {}) {
  const body = h('div', { 'aria-busy': 'true' }, '…');
  const submit = h('button', { type: 'submit', class: 'primary', form: 'job-form', 'data-role': 'save' }, t(jobId ? 'action.save' : 'jobform.create'));
  const dialog = openDialog({ title: jobId ? t('jobform.edit_title', { id: jobId }) : t('jobform.create_title'), body, actions: [submit], testid: 'job-form', wide: true });
  let kinds;
  let current = null;
  try {
    [kinds, current] = await Promise.all([api.kinds(), jobId ? api.definition(jobId) : Promise.resolve(null)]);
  } catch (error) {
    body.replaceChildren();
    dialog.setError(describeError(error));
    return;
  }
  const byKind = new Map(kinds.map((kind) => [kind.kind, kind]));
  const idInput = h('input', { name: 'id', required: true, pattern: '[a-z][a-z0-9_]{2,63}', autocomplete: 'off' });
  const kindSelect = h('select', { name: 'kind' }, ...kinds.map((kind) => h('option', { value: kind.kind }, `${kind.display_name} (${kind.kind})`)));
  const triggerInput = h('input', { name: 'trigger', required: true, autocomplete: 'off', placeholder: '0 16 * * 1-5' });
  const displayName = h('input', { name: 'display_name', maxlength: 50 });
  const description = h('input', { name: 'description', maxlength: 200 });
  const paused = h('input', { name: 'paused', type: 'checkbox' });
  const parameters = h('fieldset', { 'data-testid': 'job-parameters' });
  const policy = h('fieldset', {}, h('legend', {}, t('jobform.policy')));
  const { panel, refresh } = previewPanel(triggerInput, () => policy.querySelector('[name="policy.calendar"]')?.value);
  policy.addEventListener('change', (event) => {
    if (event.target.name === 'policy.calendar') refresh();
  });

  const showKind = (kindName, values = null) => {
    const kind = byKind.get(kindName);
    const properties = kind?.schema?.properties ?? {};
    const given = values ?? kind?.default_kwargs ?? {};
    parameters.replaceChildren(h('legend', {}, t('jobform.parameters')),
      ...Object.entries(properties).map(([name, property]) => parameterField(name, property, given[name])));
    if (!current) {
      policy.replaceChildren(h('legend', {}, t('jobform.policy')), ...policyFields(kind?.default_policy));
      if (!triggerInput.value) triggerInput.value = kind?.default_trigger ?? '';
    }
  };
  if (current) {
    kindSelect.value = current.kind;
    kindSelect.disabled = true;
    idInput.value = current.id;
    idInput.disabled = true;
    triggerInput.value = current.trigger ?? '';
    displayName.value = current.display_name ?? '';
    description.value = current.description ?? '';
    paused.checked = current.paused;
    showKind(current.kind, current.kwargs);
    policy.replaceChildren(h('legend', {}, t('jobform.policy')), ...policyFields(current.policy));
  } else {
    showKind(kindSelect.value);
  }
  kindSelect.addEventListener('change', () => {
    triggerInput.value = '';
    showKind(kindSelect.value);
    refresh();
  });

  const form = h('form', { id: 'job-form', class: 'form-grid', novalidate: true },
    field(t('jobform.id'), idInput), field(t('jobform.kind'), kindSelect),
    field(t('col.trigger'), triggerInput), panel,
    field(t('col.display_name'), displayName), field(t('col.description'), description),
    h('label', { class: 'field inline' }, paused, h('span', {}, t('jobform.paused'))),
    parameters, policy);
  body.replaceChildren(form);
  body.removeAttribute('aria-busy');
  refresh();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    dialog.setError(null);
    const definition = {
      trigger: triggerInput.value.trim(),
      kwargs: readParameters(parameters),
      display_name: displayName.value.trim() || null,
      description: description.value.trim() || null,
      paused: paused.checked,
      policy: readPolicy(policy),
    };
    await busy(submit, async () => {
      if (current) {
        await api.changeJob(current.id, definition, current.version);
        toast(t('jobform.changed', { id: current.id }), 'success');
      } else {
        await api.createJob({ id: idInput.value.trim(), kind: kindSelect.value, ...definition });
        toast(t('jobform.created', { id: idInput.value.trim() }), 'success');
      }
      dialog.close();
      changed();
      onDone();
    }, (error) => dialog.setError(describeError(error)));
  });
  if (current) addLifecycleButtons(dialog, current, onDone);
}

// What the job form offers besides saving: a created job can be deleted, a catalogue job reset to its
// catalogue definition.
const LIFECYCLE = {
  created: { role: 'delete-job', label: 'jobform.delete', question: 'jobform.delete_confirm', done: 'jobform.deleted',
    danger: true, send: (id) => api.deleteJob(id, true) },
  catalogue: { role: 'reset-job', label: 'jobform.reset', question: 'jobform.reset_confirm', done: 'jobform.was_reset',
    danger: false, send: (id) => api.resetJob(id) },
};

// The job's lifecycle button: asked first (a deletion with the safe choice focused), then the job list is refreshed.
function addLifecycleButtons(dialog, current, onDone) {
  const action = LIFECYCLE[current.origin === 'created' ? 'created' : 'catalogue'];
  const label = t(action.label);
  const button = h('button', { type: 'button', class: action.danger ? 'danger' : null, 'data-role': action.role }, label);
  button.addEventListener('click', async () => {
    const confirmed = await confirmDialog(t(action.question, { id: current.id }),
      action.danger ? { confirmLabel: label, danger: true } : {});
    if (!confirmed) return;
    await busy(button, async () => {
      await action.send(current.id);
      toast(t(action.done, { id: current.id }), 'success');
      dialog.close();
      changed();
      onDone();
    }, (error) => dialog.setError(describeError(error)));
  });
  dialog.dialog.querySelector('.dialog-actions').prepend(button);
}
