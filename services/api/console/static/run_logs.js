// A run's own log in its detail dialog: the lines its job logged, live (Server-Sent Events from
// `/executions/{id}/logs/stream`), with a lowest-level filter, a search and a download of what is shown.
//
// The stream starts at `offset` (the lines already here) and ends with an `end` event once the run has ended;
// after a dropped connection it is opened again from where it was.
import { session } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatTime } from './format.js';
import { translate } from './i18n.js';
import { liveDraw } from './live_draw.js';

const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
const RETRY_MS = 2000;
const MAX_SHOWN = 200; // lines drawn (the latest): the DOM stays small; all are kept for the count, search, download
const TEXTS = {
  'title': { zh: '运行日志', en: 'Run log' },
  'level': { zh: '最低级别', en: 'Lowest level' },
  'search': { zh: '搜索日志…', en: 'Search the log…' },
  'download': { zh: '下载', en: 'Download' },
  'lines': { zh: '{shown} / {total} 行', en: '{shown} / {total} lines' },
  'latest': { zh: '（显示最近 {max} 行，完整日志请下载）', en: ' (the latest {max} drawn; download for all)' },
  'empty': { zh: '暂无日志', en: 'No lines yet' },
  'live': { zh: '实时', en: 'live' },
  'ended': { zh: '已结束', en: 'ended' },
};
const text = (key, params = {}) => translate(TEXTS, key, params);
const LEVEL_COLOURS = { DEBUG: '#475569', INFO: '#2563eb', WARNING: '#b45309', ERROR: '#dc2626', CRITICAL: '#7f1d1d' };

function streamUrl(executionId, level, offset) {
  const url = new URL(`/api/scheduler/executions/${encodeURIComponent(executionId)}/logs/stream`, location.origin);
  url.searchParams.set('access_token', session.token ?? '');
  url.searchParams.set('level', level);
  url.searchParams.set('offset', String(offset));
  return url.toString();
}

function lineText(line) {
  return `${line.logged_at} ${line.level} ${line.logger}: ${line.message}`;
}

// The panel of one run: `element` to place in the dialog, `close()` when the dialog closes.
export function runLogPanel(executionId) {
  let lines = [];
  let source = null;
  let retry = null;
  let closed = false;
  let level = 'DEBUG';
  const list = h('ol', { class: 'mono', 'data-testid': 'run-log-lines',
    style: { listStyle: 'none', margin: 0, padding: '6px', maxHeight: '320px', overflow: 'auto', fontSize: '12px',
             background: '#0f172a0a', borderRadius: '6px', whiteSpace: 'pre-wrap', wordBreak: 'break-all' } });
  const count = h('span', { class: 'muted', 'data-testid': 'run-log-count' });
  const state = h('span', { class: 'muted', 'data-testid': 'run-log-state' });
  const search = h('input', { type: 'search', placeholder: text('search'), 'data-role': 'run-log-search',
    'aria-label': text('search'), oninput: () => applySearch() });
  const levels = h('select', { 'data-role': 'run-log-level', 'aria-label': text('level'),
    onchange: () => restart(levels.value) }, LEVELS.map((name) => h('option', { value: name }, name)));
  const download = h('button', { type: 'button', class: 'ghost', 'data-role': 'run-log-download',
    onclick: () => save() }, text('download'));
  const element = h('section', { 'data-testid': 'run-logs', style: { gridColumn: '1 / -1' } },
    h('h3', {}, text('title')),
    h('div', { style: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap', marginBottom: '6px' } },
      levels, search, download, count, state),
    list);

  function matches(line) {
    const wanted = search.value.trim().toLowerCase();
    return !wanted || lineText(line).toLowerCase().includes(wanted);
  }

  function row(line) {
    return h('li', { 'data-level': line.level, hidden: !matches(line) },
      h('time', { class: 'muted' }, formatTime(line.logged_at)), ' ',
      h('strong', { style: { color: LEVEL_COLOURS[line.level] } }, line.level), ' ',
      h('span', { class: 'muted' }, line.logger), ' ', line.message);
  }

  function updateCount() {
    const shown = search.value.trim() ? lines.filter(matches).length : lines.length;
    const capped = lines.length > MAX_SHOWN ? text('latest', { max: MAX_SHOWN }) : '';
    count.textContent = text('lines', { shown, total: lines.length }) + capped;
    if (!lines.length) replaceChildren(list, h('li', { class: 'muted', 'data-role': 'empty' }, text('empty')));
  }

  // The drawn rows are the latest lines: row i shows lines[lines.length - rows + i].
  function applySearch() {
    const items = [...list.querySelectorAll('li:not([data-role=empty])')];
    const first = lines.length - items.length;
    items.forEach((item, index) => {
      item.hidden = !matches(lines[first + index]);
    });
    updateCount();
  }

  // Whether the list follows its end: kept from scroll events, so an append never reads the layout first.
  let stick = true;
  list.addEventListener('scroll', () => {
    stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  }, { passive: true });

  function append(batch) {
    if (!batch.length) return;
    if (lines.length === 0) list.replaceChildren();
    lines = lines.concat(batch);
    list.append(...batch.slice(-MAX_SHOWN).map(row));
    while (list.childElementCount > MAX_SHOWN) list.firstElementChild.remove();
    // Scrolled at the start of the next frame, when the layout is clean: reading it now would lay out the
    // whole dialog again in the middle of this frame's updates.
    if (stick) requestAnimationFrame(() => { list.scrollTop = list.scrollHeight; });
    updateCount();
  }

  function connect() {
    if (closed) return;
    const stream = new EventSource(streamUrl(executionId, level, lines.length));
    source = stream;
    let pending = [];
    // Lines are drawn at the live pace (`live_draw.js`): a run logging hundreds of lines a second costs
    // a few draws a second.
    const draw = liveDraw('run-log', () => {
      const batch = pending;
      pending = [];
      if (source === stream && !closed) append(batch);
    });
    stream.addEventListener('open', () => { state.textContent = text('live'); });
    stream.addEventListener('log', (message) => {
      try {
        pending.push(JSON.parse(message.data));
      } catch {
        return;
      }
      draw.request();
    });
    stream.addEventListener('end', () => {
      stream.close();
      draw.cancel();
      if (source === stream) append(pending);
      pending = [];
      state.textContent = text('ended');
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CLOSED && state.textContent === text('ended')) return;
      stream.close();
      draw.cancel();
      if (source !== stream || closed) return;
      append(pending);
      pending = [];
      state.textContent = '…';
      clearTimeout(retry);
      retry = setTimeout(connect, RETRY_MS);
    });
  }

  function restart(next) {
    source?.close();
    clearTimeout(retry);
    level = next;
    lines = [];
    list.replaceChildren();
    updateCount();
    connect();
  }

  function save() {
    const blob = new Blob([lines.filter(matches).map(lineText).join('\n') + '\n'], { type: 'text/plain' });
    const link = h('a', { href: URL.createObjectURL(blob), download: `run-${executionId}.log` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  updateCount();
  connect();
  return {
    element,
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}
