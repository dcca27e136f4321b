// Entry point: sign-in, the two views, the live stream and the language switch.
import { loadAlerts, onAlertEvent, refreshAlertBadge, renderAlerts } from './alerts.js';
import { announceSignOut, api, ApiError, borrowToken, describeError, onSignedOutElsewhere, onUnauthorized, session } from './api.js';
import { loadDependencies, renderDependencies } from './dependencies.js';
import { connectionBack, hideBanner, showBanner, toast, unreachable } from './dom.js';
import { offsetText } from './format.js';
import { getLanguage, setLanguage, t, translatePage } from './i18n.js';
import { setNavigation } from './jobs.js';
import { loadOverview, onOverviewEvent, refreshHealth, renderOverview, setupJobFilters } from './overview.js';
import { onRunDetailEvent, openRunId, showRunDetail } from './run_detail.js';
import { loadRuns, onRunsEvent, renderRuns, restoreRunsFromLocation, setupRunFilters, showRunsOfJob } from './runs.js';
import { readLocation } from './url_state.js';
import { applyRunEvent, state } from './state.js';
import { LiveStream } from './stream.js';

const HEALTH_REFRESH_MS = 15000; // health is the absence of heartbeats too: no event says "stopped"
let healthTimer = null;
let streamStatus = 'idle';

const stream = new LiveStream({
  onEvent: dispatch,
  onStatus: showStreamStatus,
  onResync: () => {
    toast(t('stream.resynced'), 'info');
    reload();
  },
  checkAuth: async () => {
    try {
      await api.me();
      return true;
    } catch (error) {
      return !(error instanceof ApiError && error.status === 401);
    }
  },
});

function dispatch(type, event) {
  const run = applyRunEvent(type, event);
  onOverviewEvent(type, event, run);
  onRunsEvent(type, run);
  onRunDetailEvent(type, event, run);
  onAlertEvent(type);
  if (type === 'CommandRejected' && event.actor === state.me?.username) {
    showBanner(t('event.CommandRejected', { reason: event.reason }));
  }
}

function showStreamStatus(status) {
  streamStatus = status;
  if (status === 'live') connectionBack();
  if (status === 'down' && state.me) refreshHealth(); // the health card says "unknown" now, not in 15 s
  document.body.dataset.stream = status;
  const element = document.getElementById('stream-status');
  element.textContent = t(`stream.${status}`);
  element.className = `stream-status stream-${status}`;
}

// ---- views

function showOnly(name) {
  document.body.dataset.view = name;
  for (const id of ['login-view', 'overview-view', 'runs-view', 'alerts-view', 'dependencies-view']) document.getElementById(id).hidden = id !== `${name}-view`;
  for (const element of document.querySelectorAll('[data-when="signed-in"]')) element.hidden = name === 'login';
  for (const tab of document.querySelectorAll('[data-tab]')) {
    tab.classList.toggle('active', tab.dataset.tab === name);
    if (tab.dataset.tab === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
}

const currentView = () => readLocation().view;

// What the address names: the view, the runs' filters and page, the open run.
function route() {
  if (!state.me) return;
  const { view, params } = readLocation();
  showOnly(view);
  if (view === 'runs' && restoreRunsFromLocation(params)) loadRuns();
  if (view === 'alerts') loadAlerts();
  if (view === 'dependencies') loadDependencies();
  openLinkedRun(params.get('run') ?? params.get('execution_id')); // execution_id: the alerts' links
}

function openLinkedRun(executionId) {
  if (executionId && openRunId() !== executionId) showRunDetail(executionId);
}

async function reload() {
  try {
    await loadOverview();
    connectionBack();
  } catch (error) {
    // 401: sign-in says it
    if (!(error instanceof ApiError && error.status === 401)) showBanner(describeError(error), 'error', { connectivity: unreachable(error) });
  }
  if (!state.me) return;
  renderHeader(); // the display offset is known once the API has answered
  const { view, params } = readLocation();
  if (view === 'runs' && restoreRunsFromLocation(params)) await loadRuns();
  if (view === 'alerts') await loadAlerts();
  if (view === 'dependencies') await loadDependencies();
  openLinkedRun(params.get('run') ?? params.get('execution_id')); // execution_id: the alerts' links
  refreshAlertBadge();
}

// ---- sign-in

function showLogin(message = '') {
  stream.stop();
  clearInterval(healthTimer);
  state.me = null;
  document.body.dataset.role = '';
  showOnly('login');
  const error = document.querySelector('#login-form .form-error');
  error.textContent = message;
  error.hidden = !message;
  document.querySelector('#login-form [name=username]').focus();
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector('.form-error');
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    error.textContent = t('auth.required');
    error.hidden = false;
    return;
  }
  form.querySelector('button[type=submit]').disabled = true;
  try {
    session.start(await api.login(username, password));
    form.reset();
    await enter();
  } catch (failure) {
    // A refused sign-in is not an expired session: the server's own words ("wrong username or password").
    const refused = failure instanceof ApiError && failure.status === 401 && failure.detail;
    error.textContent = refused ? failure.detail : describeError(failure);
    error.hidden = false;
  } finally {
    form.querySelector('button[type=submit]').disabled = false;
  }
}

// "admin · admin" says nothing twice: the role only when it is not the name.
function whoAmIText(me) {
  const role = t(me.role === 'admin' ? 'auth.admin' : 'auth.viewer');
  return me.username.toLowerCase() === role.toLowerCase() ? me.username : `${me.username} · ${role}`;
}

async function whoAmI() {
  try {
    return await api.me();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      // No "who am I" endpoint: never offer commands the user may not have the right to send.
      showBanner(t('auth.me_missing'), 'warning');
      return { username: '?', role: 'viewer' };
    }
    throw error;
  }
}

async function enter() {
  state.me = await whoAmI();
  hideBanner();
  document.body.dataset.role = state.me.role;
  renderHeader();
  stream.start();
  clearInterval(healthTimer);
  healthTimer = setInterval(refreshHealth, HEALTH_REFRESH_MS);
  showOnly(currentView());
  await reload();
}

function signOut(message = '') {
  session.clear();
  showLogin(message);
}

// The server revokes every token of this sign-in; the page signs out whatever the answer.
async function logOut() {
  if (session.token) {
    try {
      await api.logout();
    } catch {
      // already expired or revoked, or the server is away: nothing more to end
    }
  }
  announceSignOut(); // every tab of this profile signs out too
  signOut();
}

function renderHeader() {
  document.getElementById('whoami').textContent = state.me
    ? whoAmIText(state.me) : '';
  document.getElementById('timezone').textContent = t('tz', { offset: offsetText() });
  document.getElementById('lang-switch').textContent = getLanguage() === 'zh' ? 'English' : '中文';
  if (streamStatus !== 'idle') showStreamStatus(streamStatus);
}

function switchLanguage() {
  setLanguage(getLanguage() === 'zh' ? 'en' : 'zh');
  translatePage();
  renderHeader();
  if (state.me) {
    renderOverview();
    renderRuns();
    renderAlerts();
    renderDependencies();
  }
}

async function start() {
  setLanguage(getLanguage());
  translatePage();
  renderHeader();
  onUnauthorized(() => signOut(t('auth.expired')));
  onSignedOutElsewhere(() => showLogin(t('auth.signed_out_elsewhere')));
  setNavigation({
    runsOfJob: (jobId) => {
      const hash = showRunsOfJob(jobId);
      if (location.hash === hash) route();
      else location.hash = hash; // hashchange: the view reads the job's filter from the address
    },
    run: showRunDetail,
  });
  document.getElementById('login-form').addEventListener('submit', signIn);
  document.getElementById('logout').addEventListener('click', () => logOut());
  document.getElementById('lang-switch').addEventListener('click', switchLanguage);
  document.querySelector('.skip-link').addEventListener('click', (event) => {
    event.preventDefault(); // the hash names the view: the skip link moves the focus only
    document.getElementById('main').focus();
  });
  document.querySelector('#banner .banner-close').addEventListener('click', hideBanner);
  window.addEventListener('hashchange', route);
  setupJobFilters();
  setupRunFilters();
  // A new tab of a profile already signed in borrows an open tab's access token: no second sign-in.
  if (!session.token) session.token = await borrowToken();
  if (!session.token) {
    showLogin();
    return;
  }
  try {
    await enter();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) showLogin(describeError(error));
  }
}

start();
