// A run's event timeline: every page read (or the first and the latest events, said so), consecutive
// Progress events folded into one expandable line, live events appended in batches.
import { api } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatTime, toMillis } from './format.js';
import { t } from './i18n.js';
import { liveDraw } from './live_draw.js';

const PAGE_SIZE = 1000; // the API's largest page
const MAX_LOADED = 10000; // beyond this, the first page and the latest events, with a note of the gap
const COUNT = new Intl.NumberFormat('en-US');

// Reads the run's events: all pages up to MAX_LOADED, else the head and the tail and the gap between.
export async function loadRunEvents(executionId) {
  const first = await api.executionEvents(executionId, { limit: PAGE_SIZE, offset: 0 });
  const total = first.total;
  const items = [...first.items];
  let gap = null;
  let offset = items.length;
  if (total > MAX_LOADED) {
    const tailStart = total - (MAX_LOADED - PAGE_SIZE);
    gap = { count: tailStart - offset, from: offset + 1, to: tailStart };
    offset = tailStart;
  }
  while (offset < total) {
    const page = await api.executionEvents(executionId, { limit: PAGE_SIZE, offset });
    if (!page.items.length) break;
    items.push(...page.items);
    offset += page.items.length;
  }
  return { items, total, gap };
}

function eventText(event) {
  switch (event.type) {
    case 'RunQueued': return `${event.is_manual ? t('mode.manual') : t('mode.auto')}${event.actor ? ` · ${event.actor}` : ''}`;
    case 'RunScheduled': return formatTime(event.scheduled_time);
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

// Each event's instant parsed once (sorting thousands of events would otherwise parse each many times).
const instants = new WeakMap();
const instant = (event) => {
  if (!instants.has(event)) instants.set(event, toMillis(event.occurred_at) ?? 0);
  return instants.get(event);
};
const eventOrder = (a, b) => instant(a) - instant(b) || (a.sequence ?? 0) - (b.sequence ?? 0);
const typeLabel = (type) => t(`event.${type}`, { reason: '' }).replace(/[：:]\s*$/, '');
const percent = (event) => `${Math.round(Number(event.progress ?? 0))} %`;

function eventItem(event, superseded) {
  return h('li', { 'data-type': event.type, 'data-outcome': superseded ? 'superseded' : outcomeOf(event) },
    h('time', {}, formatTime(event.occurred_at)), h('strong', {}, typeLabel(event.type)),
    h('span', {}, eventText(event), superseded ? h('small', { class: 'block muted' }, t('run.superseded')) : null));
}

// One line for a run of consecutive Progress events; its entries are drawn only when it is opened.
function progressFold(events) {
  const label = h('span', { 'data-role': 'fold-label' });
  const inner = h('ol', { class: 'timeline folded-events' });
  const details = h('details', { 'data-role': 'progress-fold' }, h('summary', {}, label), inner);
  const item = h('li', { 'data-type': 'Progress', 'data-outcome': 'info', 'data-folded': 'true' },
    h('time', {}, ''), details);
  const fold = { kind: 'fold', events, item, drawn: 0 };
  const drawInner = () => {
    if (!details.open) return;
    inner.append(...fold.events.slice(fold.drawn).map((event) => eventItem(event, false)));
    fold.drawn = fold.events.length;
  };
  fold.refresh = () => {
    const [first, last] = [fold.events[0], fold.events.at(-1)];
    item.dataset.count = String(fold.events.length);
    item.querySelector('time').textContent = formatTime(first.occurred_at);
    label.textContent = fold.events.length === 1 ? `${typeLabel('Progress')} · ${eventText(first)}`
      : t('run.progress_folded', { count: COUNT.format(fold.events.length), from: percent(first), to: percent(last) });
    drawInner();
  };
  details.addEventListener('toggle', drawInner);
  fold.refresh();
  return fold;
}

// The timeline of one run: `add` takes events in any order; `flush` (at the live pace, `live_draw.js`) draws them,
// appending to the end when they come after what is drawn, else redrawing the (folded, hence short) list.
export function runTimeline() {
  const list = h('ol', { class: 'timeline', 'data-testid': 'run-timeline' });
  const note = h('p', { class: 'muted', 'data-testid': 'run-timeline-note', hidden: true });
  const element = h('div', {}, note, list);
  const events = [];
  const seen = new Set();
  let pending = [];
  let groups = [];
  let ended = false;
  let gap = null;
  let loaded = false;
  const drawNote = () => {
    if (!loaded) return;
    const total = events.length + (gap?.count ?? 0);
    const parts = [t('run.events_count', { total: COUNT.format(total) })];
    if (gap) parts.push(t('run.events_left_out', { count: COUNT.format(gap.count), from: COUNT.format(gap.from), to: COUNT.format(gap.to) }));
    note.textContent = parts.join(' · ');
    note.hidden = false;
  };

  const touched = new Set(); // folds that took events in this batch: their line is redrawn once, at the end
  const appendEvent = (event) => {
    const last = groups.at(-1);
    if (event.type === 'Progress' && last?.kind === 'fold') {
      last.events.push(event);
      touched.add(last);
      return;
    }
    const group = event.type === 'Progress' ? progressFold([event])
      : { kind: 'event', item: eventItem(event, ENDS_RUN.has(event.type) && ended) };
    if (ENDS_RUN.has(event.type)) ended = true;
    if (!groups.length) list.replaceChildren();
    groups.push(group);
    list.append(group.item);
  };
  const redraw = () => {
    groups = [];
    ended = false;
    replaceChildren(list, h('li', { class: 'muted' }, t('run.no_events')));
    for (const event of events) appendEvent(event);
    refreshTouched();
  };
  const refreshTouched = () => {
    for (const fold of touched) fold.refresh();
    touched.clear();
  };
  const flush = () => {
    const fresh = pending.filter((event) => !seen.has(event.message_id));
    pending = [];
    if (!fresh.length) {
      drawNote();
      return;
    }
    fresh.sort(eventOrder);
    for (const event of fresh) seen.add(event.message_id);
    const inOrder = !events.length || eventOrder(events.at(-1), fresh[0]) <= 0;
    events.push(...fresh);
    if (inOrder) {
      for (const event of fresh) appendEvent(event);
      refreshTouched();
    } else {
      events.sort(eventOrder);
      redraw();
    }
    drawNote();
  };
  const draw = liveDraw('run-timeline', flush);
  redraw();
  return {
    element,
    add(newEvents) {
      pending.push(...newEvents);
      draw.request();
    },
    flushNow: flush,
    // The whole load is in: say how many events there are and what, if anything, was left out.
    loadedWith(loadedGap) {
      gap = loadedGap;
      loaded = true;
      if (!pending.length) drawNote(); // else with the pending events' draw
    },
    close() {
      draw.cancel();
    },
  };
}
