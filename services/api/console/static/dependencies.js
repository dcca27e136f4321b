// The jobs' dependency graph (`after:` triggers): one column per layer (a job's upstreams are to its
// left; on a narrow screen the layers stack), today's state on each node, lines from upstream to
// downstream drawn over the laid-out nodes; a node links to the job's runs (`#runs?job_id=`).
import { api, describeError } from './api.js';
import { badge, h, replaceChildren, s } from './dom.js';
import { formatTime, toMillis } from './format.js';
import { t } from './i18n.js';
import { runsHash } from './url_state.js';

let graph = null;
let failure = null;

export async function loadDependencies() {
  try {
    graph = await api.dependencies();
    failure = null;
  } catch (error) {
    failure = describeError(error);
  }
  renderDependencies();
}

function isToday(iso) {
  const millis = toMillis(iso);
  if (millis === null || millis === undefined || Number.isNaN(millis)) return false;
  return new Date(millis).toDateString() === new Date().toDateString();
}

function nodeCard(node) {
  const today = node.latest_time && isToday(node.latest_time);
  const state = today
    ? badge(node.latest_status, t(`status.${node.latest_status}`))
    : badge('none', t('deps.no_run_today'));
  const last = node.latest_time
    ? h('div', { class: 'muted small' }, t('deps.latest', { time: formatTime(node.latest_time, { seconds: false }) }))
    : null;
  return h('a', {
    class: `dep-node${node.paused ? ' dep-paused' : ''}`,
    href: runsHash({ job_id: node.id }),
    'data-job': node.id,
    'data-testid': `dep-node-${node.id}`,
    title: t('deps.open_runs', { id: node.id }),
  },
  h('strong', {}, node.display_name || node.name),
  h('div', { class: 'muted small mono' }, node.id),
  h('div', { class: 'dep-state' }, state, node.paused ? badge('paused', t('state.paused')) : null),
  node.upstreams.length ? h('div', { class: 'muted small' }, t('deps.after', { jobs: node.upstreams.join(', ') })) : null,
  last);
}

function drawEdges(canvas) {
  const layer = canvas.querySelector('svg.dep-edges');
  const box = canvas.getBoundingClientRect();
  layer.setAttribute('width', String(canvas.scrollWidth));
  layer.setAttribute('height', String(canvas.scrollHeight));
  const lines = [];
  for (const edge of graph.edges) {
    const from = canvas.querySelector(`[data-job="${CSS.escape(edge.upstream)}"]`)?.getBoundingClientRect();
    const to = canvas.querySelector(`[data-job="${CSS.escape(edge.downstream)}"]`)?.getBoundingClientRect();
    if (!from || !to) continue;
    const stacked = to.left < from.right; // narrow screen: layers one under the other
    const x1 = (stacked ? from.left + from.width / 2 : from.right) - box.left;
    const y1 = (stacked ? from.bottom : from.top + from.height / 2) - box.top;
    const x2 = (stacked ? to.left + to.width / 2 : to.left) - box.left;
    const y2 = (stacked ? to.top : to.top + to.height / 2) - box.top;
    lines.push(s('line', { x1, y1, x2, y2, 'marker-end': 'url(#dep-arrow)' }));
  }
  const arrow = s('marker', { id: 'dep-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
    s('path', { d: 'M0,0 L10,5 L0,10 z' }));
  replaceChildren(layer, s('defs', {}, arrow), lines);
}

export function renderDependencies() {
  const view = document.getElementById('dependencies-view');
  if (!view) return;
  const head = h('div', { class: 'card-head' }, h('h2', {}, t('deps.title')),
    h('button', { type: 'button', class: 'ghost', onclick: loadDependencies }, t('deps.refresh')));
  if (failure) {
    replaceChildren(view, h('div', { class: 'card' }, head, h('p', { class: 'form-error', role: 'alert' }, failure)));
    return;
  }
  if (!graph) return;
  if (!graph.nodes.length) {
    replaceChildren(view, h('div', { class: 'card' }, head, h('p', { class: 'muted' }, t('deps.empty'))));
    return;
  }
  const layers = [];
  for (const node of graph.nodes) (layers[node.layer] ??= []).push(node);
  const columns = layers.filter(Boolean).map((nodes, index) => h('div', { class: 'dep-layer', 'aria-label': t('deps.layer', { n: index + 1 }) },
    nodes.map(nodeCard)));
  const canvas = h('div', { class: 'dep-canvas', 'data-testid': 'dependency-graph' },
    s('svg', { class: 'dep-edges', 'aria-hidden': 'true' }), columns);
  replaceChildren(view, h('div', { class: 'card' }, head, h('p', { class: 'muted small' }, t('deps.hint')), canvas));
  requestAnimationFrame(() => drawEdges(canvas));
}

window.addEventListener('resize', () => {
  const canvas = document.querySelector('#dependencies-view .dep-canvas');
  if (canvas && graph) requestAnimationFrame(() => drawEdges(canvas));
});
