// Alerts: the incidents page (open / resolved, filters, paging, detail with notifications), silences, rule
// overrides, a channel test, and the badge of open incidents in the header. Its own texts, both languages.
//
// Live: the alerter's events (AlertRaised, AlertResolved, AlertNotified) come on the stream; the operators'
// own changes are refreshed after each action, and the badge every BADGE_REFRESH_MS besides.
import { describeError, request } from './api.js';
import { badge, busy, h, openDialog, replaceChildren, toast } from './dom.js';
import { formatTime } from './format.js';
import { translate } from './i18n.js';
import { showRunDetail } from './run_detail.js';
import { isAdmin, state } from './state.js';
import { STREAM_TYPES } from './stream.js';

const BASE = '/api/scheduler/alerts';
const PAGE_SIZE = 20;
const BADGE_REFRESH_MS = 30000;
const LIVE_TYPES = ['AlertRaised', 'AlertResolved', 'AlertNotified'];
STREAM_TYPES.push(...LIVE_TYPES.filter((type) => !STREAM_TYPES.includes(type)));

const RULES = ['run_failed', 'run_missed', 'run_partial', 'consecutive_failures', 'stale', 'run_slow', 'no_leader',
  'projector_lag', 'dead_lettered'];
const TEXT = {
  'tab': { zh: '告警', en: 'Alerts' },
  'title': { zh: '告警事件', en: 'Incidents' },
  'silences': { zh: '静默', en: 'Silences' },
  'rules': { zh: '规则（API 覆盖）', en: 'Rules (API overrides)' },
  'empty': { zh: '没有告警事件', en: 'No incidents' },
  'status.all': { zh: '全部', en: 'All' },
  'status.open': { zh: '未恢复', en: 'Open' },
  'status.resolved': { zh: '已恢复', en: 'Resolved' },
  'severity.all': { zh: '全部级别', en: 'All severities' },
  'severity.info': { zh: '提示', en: 'info' },
  'severity.warning': { zh: '警告', en: 'warning' },
  'severity.error': { zh: '错误', en: 'error' },
  'severity.critical': { zh: '严重', en: 'critical' },
  'rule.run_failed': { zh: '运行失败', en: 'run failed' },
  'rule.run_missed': { zh: '错过执行', en: 'run missed' },
  'rule.run_partial': { zh: '部分完成', en: 'run partly done' },
  'rule.consecutive_failures': { zh: '连续失败', en: 'consecutive failures' },
  'rule.stale': { zh: '数据过期', en: 'stale data' },
  'rule.run_slow': { zh: '运行时间远超平常', en: 'run far too long' },
  'rule.no_leader': { zh: '没有调度器主节点', en: 'no scheduler leader' },
  'rule.projector_lag': { zh: '投影滞后', en: 'projector lag' },
  'rule.dead_lettered': { zh: '死信', en: 'dead letters' },
  'col.severity': { zh: '级别', en: 'Severity' },
  'col.rule': { zh: '规则', en: 'Rule' },
  'col.job': { zh: '任务', en: 'Job' },
  'col.summary': { zh: '说明', en: 'Summary' },
  'col.since': { zh: '开始于', en: 'Since' },
  'col.status': { zh: '状态', en: 'Status' },
  'col.actions': { zh: '操作', en: 'Actions' },
  'col.until': { zh: '截止', en: 'Until' },
  'col.reason': { zh: '原因', en: 'Reason' },
  'col.actor': { zh: '操作人', en: 'By' },
  'col.scope': { zh: '范围', en: 'Scope' },
  'col.rules': { zh: '规则', en: 'Rules' },
  'col.at': { zh: '时间', en: 'At' },
  'col.channel': { zh: '通道', en: 'Channel' },
  'col.outcome': { zh: '结果', en: 'Outcome' },
  'col.notice': { zh: '类型', en: 'Kind' },
  'col.attempts': { zh: '尝试次数', en: 'Attempts' },
  'col.error': { zh: '错误', en: 'Error' },
  'acknowledge': { zh: '确认', en: 'Acknowledge' },
  'acknowledged': { zh: '已确认（{who}）', en: 'acknowledged ({who})' },
  'silence': { zh: '静默', en: 'Silence' },
  'silenced': { zh: '已静默', en: 'silenced' },
  'unsilence': { zh: '结束静默', en: 'End silence' },
  'detail': { zh: '详情', en: 'Details' },
  'run': { zh: '查看执行', en: 'Open run' },
  'test.button': { zh: '发送测试消息', en: 'Send a test message' },
  'test.channel': { zh: '通道序号（从 0 开始）', en: 'Channel number (from 0)' },
  'test.sent': { zh: '测试消息已发送（{type}）', en: 'Test message sent ({type})' },
  'test.failed': { zh: '测试消息发送失败：{error}', en: 'Test message failed: {error}' },
  'test.pending': { zh: '测试消息已提交，稍后查看结果', en: 'Test message requested; the outcome comes later' },
  'silence.title': { zh: '静默告警', en: 'Silence alerts' },
  'silence.job': { zh: '任务 ID（可空）', en: 'Job id (optional)' },
  'silence.rule': { zh: '规则（可空）', en: 'Rule (optional)' },
  'silence.hours': { zh: '时长（小时）', en: 'Duration (hours)' },
  'silence.reason': { zh: '原因', en: 'Reason' },
  'silence.done': { zh: '已静默至 {until}', en: 'Silenced until {until}' },
  'ack.note': { zh: '备注（可空）', en: 'Note (optional)' },
  'ack.done': { zh: '已确认', en: 'Acknowledged' },
  'rules.edit': { zh: '修改规则', en: 'Change rules' },
  'rules.scope': { zh: '任务 ID（空：所有任务）', en: 'Job id (empty: every job)' },
  'rules.inherit': { zh: '沿用配置', en: 'as configured' },
  'rules.on': { zh: '开', en: 'on' },
  'rules.off': { zh: '关', en: 'off' },
  'rules.none': { zh: '没有 API 覆盖，按配置执行', en: 'No API override: the configuration applies' },
  'rules.every': { zh: '所有任务', en: 'every job' },
  'rules.saved': { zh: '规则已更新', en: 'Rules updated' },
  'rules.threshold': { zh: '（0 关闭此规则，空沿用配置）', en: '(0 turns the rule off, empty keeps the configuration)' },
  'field.consecutive_failures': { zh: '连续失败次数', en: 'Consecutive failures' },
  'field.stale_after_s': { zh: '数据过期秒数', en: 'Stale after (s)' },
  'field.slow_factor': { zh: '超过 p95 的倍数', en: 'Times its p95' },
  'save': { zh: '保存', en: 'Save' },
  'submit': { zh: '提交', en: 'Submit' },
  'prev': { zh: '上一页', en: 'Previous' },
  'next': { zh: '下一页', en: 'Next' },
  'page': { zh: '第 {from}–{to} 条，共 {total} 条', en: '{from}–{to} of {total}' },
  'notifications': { zh: '通知记录', en: 'Notifications' },
  'none': { zh: '无', en: 'none' },
  'notice.raised': { zh: '告警', en: 'raised' },
  'notice.reminder': { zh: '提醒', en: 'reminder' },
  'notice.resolved': { zh: '恢复', en: 'resolved' },
  'notice.test': { zh: '测试', en: 'test' },
  'outcome.sent': { zh: '已发送', en: 'sent' },
  'outcome.failed': { zh: '失败', en: 'failed' },
};
const SEVERITY_BADGE = { info: 'queued', warning: 'paused', error: 'failed', critical: 'failed' };
const view = { status: 'open', severity: '', offset: 0, page: null, silences: [], rules: null, open: 0 };
let badgeTimer = null;

export const tr = (key, params = {}) => translate(TEXT, key, params);

const alertsApi = {
  incidents: (query) => request('GET', `${BASE}/incidents`, { query }),
  incident: (id) => request('GET', `${BASE}/incidents/${encodeURIComponent(id)}`),
  acknowledge: (id, note) => request('POST', `${BASE}/incidents/${encodeURIComponent(id)}/acknowledge`, { json: { note } }),
  silences: () => request('GET', `${BASE}/silences`),
  silence: (body) => request('POST', `${BASE}/silences`, { json: body }),
  unsilence: (id) => request('DELETE', `${BASE}/silences/${encodeURIComponent(id)}`),
  rules: () => request('GET', `${BASE}/rules`),
  setRules: (jobId, body) => request('PUT', jobId ? `${BASE}/rules/${encodeURIComponent(jobId)}` : `${BASE}/rules`, { json: body }),
  test: (channel) => request('POST', `${BASE}/channels/test`, { json: { channel } }),
};

// ---- the badge (header)

function renderBadge() {
  const tab = document.querySelector('[data-tab="alerts"]');
  if (!tab) return;
  const count = view.open;
  replaceChildren(tab, tr('tab'), count > 0 ? ' ' : null, count > 0
    ? h('span', { class: 'badge badge-failed alert-count', 'data-testid': 'alert-badge', title: tr('status.open') }, count)
    : null);
}

export async function refreshAlertBadge() {
  clearInterval(badgeTimer);
  badgeTimer = setInterval(() => refreshAlertBadge().catch(() => {}), BADGE_REFRESH_MS);
  try {
    view.open = (await alertsApi.incidents({ status: 'open', limit: 1 })).open;
  } catch {
    return; // the page's own loads report failures; the badge keeps its last count
  }
  renderBadge();
}

// ---- the page

export async function loadAlerts() {
  const section = document.getElementById('alerts-view');
  if (!section) return;
  try {
    const query = { limit: PAGE_SIZE, offset: view.offset };
    if (view.status) query.status = view.status;
    if (view.severity) query.severity = view.severity;
    const [page, silences, rules] = await Promise.all([alertsApi.incidents(query), alertsApi.silences(), alertsApi.rules()]);
    Object.assign(view, { page, silences, rules, open: page.open });
  } catch (error) {
    toast(describeError(error), 'error');
  }
  renderAlerts();
}

export function renderAlerts() {
  renderBadge();
  const section = document.getElementById('alerts-view');
  if (!section || section.hidden || !view.page) return;
  replaceChildren(section,
    h('div', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, tr('title')), filters()),
      incidentTable(), pager()),
    h('div', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, tr('silences')), adminButtons()), silenceTable()),
    h('div', { class: 'card' }, h('h2', {}, tr('rules')), rulesTable()));
}

function select(options, value, onchange, label) {
  return h('select', { 'aria-label': label, onchange: (event) => onchange(event.target.value) },
    options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value }, text)));
}

function filters() {
  return h('div', { class: 'filters' },
    select(['open', 'resolved', ''].map((v) => [v, tr(`status.${v || 'all'}`)]), view.status,
      (value) => { Object.assign(view, { status: value, offset: 0 }); loadAlerts(); }, tr('col.status')),
    select(['', 'info', 'warning', 'error', 'critical'].map((v) => [v, tr(`severity.${v || 'all'}`)]), view.severity,
      (value) => { Object.assign(view, { severity: value, offset: 0 }); loadAlerts(); }, tr('col.severity')));
}

function table(headers, rows, testid) {
  if (!rows.length) return h('p', { class: 'muted' }, tr('none'));
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': testid },
    h('thead', {}, h('tr', {}, headers.map((key) => h('th', {}, tr(key))))), h('tbody', {}, rows)));
}

function incidentTable() {
  const items = view.page.items;
  if (!items.length) return h('p', { class: 'muted', 'data-testid': 'incidents-empty' }, tr('empty'));
  return table(['col.severity', 'col.rule', 'col.job', 'col.summary', 'col.since', 'col.status', 'col.actions'],
    items.map(incidentRow), 'incidents-table');
}

function incidentRow(item) {
  const job = state.jobs.get(item.job_id);
  const status = [badge(item.status === 'open' ? 'failed' : 'success', tr(`status.${item.status}`))];
  if (item.acknowledged_by) status.push(' ', badge('queued', tr('acknowledged', { who: item.acknowledged_by })));
  if (item.silenced) status.push(' ', badge('cancelled', tr('silenced')));
  return h('tr', { 'data-incident': item.incident_id },
    h('td', {}, badge(SEVERITY_BADGE[item.severity] ?? 'queued', tr(`severity.${item.severity}`))),
    h('td', {}, tr(`rule.${item.rule}`)),
    h('td', {}, job?.display_name || item.job_name, h('div', { class: 'muted small' }, item.job_id)),
    h('td', {}, item.summary),
    h('td', {}, formatTime(item.since)),
    h('td', {}, status),
    h('td', { class: 'actions' }, incidentActions(item)));
}

function incidentActions(item) {
  const actions = [h('button', { type: 'button', class: 'link', onclick: () => showIncident(item.incident_id) }, tr('detail'))];
  if (item.execution_id) {
    actions.push(h('button', { type: 'button', class: 'link', onclick: () => showRunDetail(item.execution_id) }, tr('run')));
  }
  if (isAdmin() && item.status === 'open' && !item.acknowledged_by) {
    actions.push(h('button', { type: 'button', class: 'link', 'data-action': 'acknowledge', onclick: () => acknowledge(item) },
      tr('acknowledge')));
  }
  if (isAdmin() && item.status === 'open' && !item.silenced) {
    actions.push(h('button', { type: 'button', class: 'link', 'data-action': 'silence',
      onclick: () => silenceDialog({ job_id: item.job_id, rule: item.rule }) }, tr('silence')));
  }
  return actions;
}

function pager() {
  const { total, offset, items } = { ...view.page, offset: view.offset };
  if (total <= PAGE_SIZE) return null;
  const go = (next) => { view.offset = Math.max(0, next); loadAlerts(); };
  return h('div', { class: 'pager' },
    h('span', { class: 'muted' }, tr('page', { from: offset + 1, to: offset + items.length, total })),
    h('button', { type: 'button', disabled: offset === 0, onclick: () => go(offset - PAGE_SIZE) }, tr('prev')),
    h('button', { type: 'button', disabled: offset + PAGE_SIZE >= total, onclick: () => go(offset + PAGE_SIZE) }, tr('next')));
}

async function showIncident(incidentId) {
  let detail;
  try {
    detail = await alertsApi.incident(incidentId);
  } catch (error) {
    toast(describeError(error), 'error');
    return;
  }
  const rows = detail.notification_log.map((n) => h('tr', {},
    h('td', {}, formatTime(n.at)), h('td', {}, tr(`notice.${n.notice}`)), h('td', {}, n.channel_type),
    h('td', {}, badge(n.outcome === 'sent' ? 'success' : 'failed', tr(`outcome.${n.outcome}`))),
    h('td', {}, n.attempts), h('td', {}, n.error ?? '')));
  const facts = [
    [tr('col.rule'), tr(`rule.${detail.rule}`)], [tr('col.job'), `${detail.job_name} (${detail.job_id})`],
    [tr('col.summary'), detail.summary], [tr('col.since'), formatTime(detail.since)],
    [tr('col.status'), detail.resolution ? `${tr(`status.${detail.status}`)} · ${detail.resolution}` : tr(`status.${detail.status}`)],
  ];
  if (detail.acknowledged_by) facts.push([tr('acknowledge'), `${detail.acknowledged_by} · ${detail.acknowledgement_note ?? ''}`]);
  openDialog({ title: tr(`rule.${detail.rule}`), testid: 'incident-detail', wide: true, body: h('div', {},
    h('dl', { class: 'facts' }, facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
    h('h3', {}, tr('notifications')),
    table(['col.at', 'col.notice', 'col.channel', 'col.outcome', 'col.attempts', 'col.error'], rows, 'incident-notifications')) });
}

function field(labelKey, input) {
  return h('label', {}, h('span', {}, tr(labelKey)), input);
}

function formDialog(title, fields, submit, testid) {
  const button = h('button', { type: 'button', class: 'primary', 'data-role': 'submit' }, tr('submit'));
  const handle = openDialog({ title, body: h('div', { class: 'form-grid' }, fields), actions: [button], testid });
  button.addEventListener('click', () => busy(button, async () => {
    await submit();
    handle.close(true);
  }, (error) => handle.setError(describeError(error))));
  return handle;
}

async function acknowledge(item) {
  const note = h('input', { name: 'note', maxlength: 2000 });
  formDialog(tr('acknowledge'), [field('ack.note', note)], async () => {
    await alertsApi.acknowledge(item.incident_id, note.value.trim());
    toast(tr('ack.done'), 'success');
    await loadAlerts();
  }, 'acknowledge-dialog');
}

function silenceDialog(preset = {}) {
  const job = h('input', { name: 'job_id', maxlength: 200, value: preset.job_id ?? '' });
  const rule = select([['', '—'], ...RULES.map((r) => [r, tr(`rule.${r}`)])], preset.rule ?? '', () => {}, tr('silence.rule'));
  const hours = h('input', { name: 'hours', type: 'number', min: '0.1', max: '720', step: '0.5', value: '2' });
  const reason = h('input', { name: 'reason', maxlength: 2000, required: true });
  formDialog(tr('silence.title'), [field('silence.job', job), field('silence.rule', rule), field('silence.hours', hours),
    field('silence.reason', reason)], async () => {
    const body = { duration_s: Number(hours.value) * 3600, reason: reason.value.trim() };
    if (job.value.trim()) body.job_id = job.value.trim();
    if (rule.value) body.rule = rule.value;
    const created = await alertsApi.silence(body);
    toast(tr('silence.done', { until: formatTime(created.until) }), 'success');
    await loadAlerts();
  }, 'silence-dialog');
}

function silenceTable() {
  return table(['col.scope', 'col.until', 'col.reason', 'col.actor', 'col.actions'], view.silences.map((silence) => h('tr', {},
    h('td', {}, [silence.job_id, silence.rule && tr(`rule.${silence.rule}`)].filter(Boolean).join(' · ')),
    h('td', {}, formatTime(silence.until)), h('td', {}, silence.reason), h('td', {}, silence.actor),
    h('td', {}, isAdmin() ? h('button', { type: 'button', class: 'link', onclick: async () => {
      try {
        await alertsApi.unsilence(silence.silence_id);
        await loadAlerts();
      } catch (error) {
        toast(describeError(error), 'error');
      }
    } }, tr('unsilence')) : null))), 'silences-table');
}

function adminButtons() {
  if (!isAdmin()) return null;
  return h('div', { class: 'filters' },
    h('button', { type: 'button', 'data-action': 'new-silence', onclick: () => silenceDialog() }, tr('silence')),
    h('button', { type: 'button', 'data-action': 'edit-rules', onclick: rulesDialog }, tr('rules.edit')),
    h('button', { type: 'button', 'data-action': 'test-channel', onclick: testDialog }, tr('test.button')));
}

function describeRules(rules) {
  return Object.entries(rules).filter(([, value]) => value !== null)
    .map(([name, value]) => `${name}=${value}`).join(', ') || tr('rules.inherit');
}

function rulesTable() {
  const { default: everyJob, jobs } = view.rules ?? { default: null, jobs: [] };
  const changes = [...(everyJob ? [everyJob] : []), ...jobs];
  if (!changes.length) return h('p', { class: 'muted' }, tr('rules.none'));
  return table(['col.scope', 'col.rules', 'col.actor', 'col.at'], changes.map((change) => h('tr', {},
    h('td', {}, change.job_id ?? tr('rules.every')), h('td', {}, describeRules(change.rules)),
    h('td', {}, change.actor), h('td', {}, formatTime(change.updated_at)))), 'rules-table');
}

function rulesDialog() {
  const scope = h('input', { name: 'job_id', maxlength: 200 });
  const flags = ['run_failed', 'run_missed', 'run_partial'].map((name) => [name,
    select([['', tr('rules.inherit')], ['true', tr('rules.on')], ['false', tr('rules.off')]], '', () => {}, tr(`rule.${name}`))]);
  const numbers = ['consecutive_failures', 'stale_after_s', 'slow_factor'].map((name) => [name,
    h('input', { name, type: 'number', min: '0', step: 'any' })]);
  formDialog(tr('rules.edit'), [field('rules.scope', scope),
    ...flags.map(([name, input]) => field(`rule.${name}`, input)),
    ...numbers.map(([name, input]) => field(`field.${name}`, input)), h('p', { class: 'muted small' }, tr('rules.threshold'))],
  async () => {
    const body = {};
    for (const [name, input] of flags) if (input.value) body[name] = input.value === 'true';
    for (const [name, input] of numbers) if (input.value !== '') body[name] = Number(input.value);
    await alertsApi.setRules(scope.value.trim(), body);
    toast(tr('rules.saved'), 'success');
    await loadAlerts();
  }, 'rules-dialog');
}

function testDialog() {
  const channel = h('input', { name: 'channel', type: 'number', min: '0', max: '99', value: '0' });
  formDialog(tr('test.button'), [field('test.channel', channel)], async () => {
    const result = await alertsApi.test(Number(channel.value));
    if (result.status === 'sent') toast(tr('test.sent', { type: result.channel_type }), 'success');
    else if (result.status === 'failed') toast(tr('test.failed', { error: result.error ?? '' }), 'error');
    else toast(tr('test.pending'), 'info');
  }, 'test-dialog');
}

// ---- live events

export function onAlertEvent(type) {
  if (!LIVE_TYPES.includes(type)) return;
  if (type !== 'AlertNotified') refreshAlertBadge();
  if (document.getElementById('alerts-view')?.hidden === false) loadAlerts();
}

