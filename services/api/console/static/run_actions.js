// Commands on a run (admin only): cancel, mark failed (asks the reason), delete (asks for confirmation).
import { api, describeError, REASON_MAX } from './api.js';
import { busy, confirmDialog, h, openDialog, showBanner, toast } from './dom.js';
import { codePoints } from './format.js';
import { t } from './i18n.js';
import { isAdmin, isTerminal } from './state.js';

export function runActionButtons(run, { compact = false, after = () => {} } = {}) {
  if (!isAdmin()) return [];
  const id = run.execution_id;
  const button = (action, label, handler, kind = '') => h('button', {
    type: 'button', class: `${compact ? 'small' : ''} ${kind}`.trim(), 'data-action': action, 'data-execution-id': id,
    'aria-label': `${label} ${id.slice(0, 8)}`, onclick: (event) => handler(id, event.currentTarget).then(after),
  }, label);
  if (isTerminal(run.status)) return [button('delete', t('action.delete'), deleteRun, 'danger')];
  return [
    run.cancel_requested ? null : button('cancel', t('action.cancel'), cancelRun),
    button('mark-failed', t('action.mark_failed'), markFailed, 'danger'),
  ].filter(Boolean);
}

async function cancelRun(executionId, button) {
  await busy(button, async () => {
    await api.cancel(executionId);
    // A queued run is `cancelled` at once (QueuedRunCancelled); a running one shows "cancelling…" on
    // CancelRequested, then `cancelled` when the worker has stopped.
    toast(t('cancel.done', { id: executionId.slice(0, 8) }), 'success');
  }, (error) => showBanner(describeError(error)));
}

export function reasonProblem(reason) {
  const length = codePoints(reason.trim());
  return length < 1 || length > REASON_MAX ? t('mark.reason_invalid', { max: REASON_MAX }) : null;
}

async function markFailed(executionId) {
  const input = h('textarea', { name: 'reason', rows: 3 }, t('mark.default'));
  const submit = h('button', { type: 'submit', class: 'danger', form: 'mark-failed-form', 'data-role': 'submit' }, t('action.mark_failed'));
  const form = h('form', { id: 'mark-failed-form', class: 'stack', novalidate: true },
    h('label', {}, h('span', {}, t('mark.reason')), input));
  const dialog = openDialog({ title: t('mark.title', { id: executionId.slice(0, 8) }), body: form, actions: [submit], testid: 'mark-failed-dialog' });
  input.addEventListener('input', () => dialog.setError(reasonProblem(input.value)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problem = reasonProblem(input.value);
    if (problem) {
      dialog.setError(problem);
      return;
    }
    await busy(submit, async () => {
      await api.markFailed(executionId, input.value.trim());
      dialog.close();
      toast(t('mark.done', { id: executionId.slice(0, 8) }), 'success');
    }, (error) => dialog.setError(describeError(error)));
  });
  await dialog.done;
}

async function deleteRun(executionId) {
  if (!(await confirmDialog(t('delete.confirm', { id: executionId.slice(0, 8) }), { confirmLabel: t('action.delete'), danger: true }))) return;
  try {
    await api.deleteExecution(executionId);
    toast(t('delete.done', { id: executionId.slice(0, 8) }), 'success');
  } catch (error) {
    showBanner(describeError(error));
  }
}
