// Small DOM toolkit: element builders, messages (toast, banner) and modal dialogs on <dialog>.
import { t } from './i18n.js';

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'style' && typeof value === 'object') Object.assign(element.style, value);
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const h = (tag, attributes, ...children) => build(document.createElement(tag), attributes, children);

const SVG_NS = 'http://www.w3.org/2000/svg';
export const s = (tag, attributes, ...children) => build(document.createElementNS(SVG_NS, tag), attributes, children);

export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  build(parent, {}, children);
}

export function badge(kind, text, attributes = {}) {
  return h('span', { class: `badge badge-${kind}`, ...attributes }, text);
}

export function toast(message, kind = 'info', action = null) {
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  if (action) item.append(' ', h('button', { type: 'button', class: 'link', onclick: action.run }, action.label));
  document.getElementById('toasts').append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 10000 : 6000);
}

// A message that stays until dismissed or replaced (load failures, stream state changes, 403/503…).
// `connectivity`: the banner says the server cannot be reached; it clears itself once it answers again.
export function showBanner(message, kind = 'error', { connectivity = false } = {}) {
  const banner = document.getElementById('banner');
  banner.className = `banner banner-${kind}`;
  banner.dataset.connectivity = String(connectivity);
  banner.querySelector('.banner-text').textContent = message;
  banner.hidden = false;
}

export function hideBanner() {
  document.getElementById('banner').hidden = true;
}

export function connectionBack() {
  const banner = document.getElementById('banner');
  if (banner.dataset.connectivity === 'true') banner.hidden = true;
}

// Failures that mean "the server cannot be reached" (no answer, or a proxy's 502/503/504).
export const unreachable = (error) => [0, 502, 503, 504].includes(error?.status);

// A modal dialog; `body` is a node, `actions` a list of buttons. Returns { dialog, close, setError, done }.
export function openDialog({ title, body, actions = [], testid, wide = false }) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const closeButton = h('button', { type: 'button', class: 'ghost', 'data-role': 'close' }, t('action.close'));
  const dialog = h('dialog', { class: wide ? 'wide' : null, 'data-testid': testid },
    h('div', { class: 'dialog-head' }, h('h2', {}, title),
      h('button', { type: 'button', class: 'ghost icon', 'aria-label': t('action.close'), onclick: () => close() }, '×')),
    h('div', { class: 'dialog-body', tabindex: 0 }, body), error,
    h('div', { class: 'dialog-actions' }, ...actions, closeButton));
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const close = (value = null) => {
    if (dialog.open) dialog.close();
    dialog.remove();
    resolveDone(value);
  };
  closeButton.addEventListener('click', () => close());
  dialog.addEventListener('cancel', (event) => { event.preventDefault(); close(); });
  document.body.append(dialog);
  dialog.showModal();
  // The first field has the focus (not ×): a form is ready to type in.
  dialog.querySelector('.dialog-body input:not([type=hidden]), .dialog-body select, .dialog-body textarea')?.focus();
  const setError = (message) => {
    error.textContent = message ?? '';
    error.hidden = !message;
  };
  return { dialog, close, setError, done };
}

export function confirmDialog(message, { confirmLabel = t('action.ok'), danger = false } = {}) {
  const confirm = h('button', { type: 'button', class: danger ? 'danger' : 'primary', 'data-role': 'confirm' }, confirmLabel);
  const handle = openDialog({ title: t('confirm.title'), body: h('p', {}, message), actions: [confirm], testid: 'confirm-dialog' });
  confirm.addEventListener('click', () => handle.close(true));
  // A destructive choice never has the focus: Enter keeps things as they are.
  (danger ? handle.dialog.querySelector('[data-role=close]') : confirm).focus();
  return handle.done.then((value) => value === true);
}

// Runs `action` with the button disabled; errors are shown by `onError` (the dialog's own error line).
export async function busy(button, action, onError) {
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    onError(error);
    return undefined;
  } finally {
    button.disabled = false;
  }
}
