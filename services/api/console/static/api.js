// The REST API (../shared/spec/api.md): access and refresh tokens kept for the browser session, envelope
// unwrapped, failures turned into ApiError with the status and the server's own clear text. A call that
// answers 401 gets one refresh (rotating refresh token) and is retried, as the platform's client does; a
// tab that borrowed its access token from another tab asks for a fresh one instead (see below).
import { learnDisplayOffset } from './format.js';
import { getLanguage, t } from './i18n.js';

const TOKEN_KEY = 'scheduler.console.token';
const REFRESH_KEY = 'scheduler.console.refresh';
const SCHEDULER = '/api/scheduler';
export const LOGIN_PATH = '/api/auth/login';
const REFRESH_PATH = '/api/auth/refresh';
export const KWARGS_MAX_BYTES = 64 * 1024; // the API's default request body limit (max_body_bytes)
export const REASON_MAX = 500;

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  get refreshToken() {
    return sessionStorage.getItem(REFRESH_KEY);
  },
  set refreshToken(value) {
    if (value) sessionStorage.setItem(REFRESH_KEY, value);
    else sessionStorage.removeItem(REFRESH_KEY);
  },
  start(tokens) {
    this.token = tokens.access_token;
    this.refreshToken = tokens.refresh_token;
  },
  clear() {
    this.token = null;
    this.refreshToken = null;
  },
};

// One refresh at a time: calls that fail together with 401 wait for the same one.
let refreshing = null;
function refreshOnce() {
  refreshing ??= (async () => {
    try {
      const tokens = await send('POST', REFRESH_PATH, { json: { refresh_token: session.refreshToken } });
      session.start(tokens);
      return true;
    } catch {
      session.clear();
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let unauthorizedHandler = () => {};
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function buildUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}

function errorDetail(body, response) {
  if (typeof body?.detail === 'string') return body.detail;
  if (typeof body?.message === 'string' && body.success === false) return body.message;
  if (Array.isArray(body?.detail)) return body.detail.map((problem) => problem.msg ?? String(problem)).join('; ');
  return response.statusText || t('error.other', { status: response.status });
}

export async function request(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (error) {
    const own = path !== LOGIN_PATH && path !== REFRESH_PATH;
    if (!(error instanceof ApiError && error.status === 401 && own && session.token)) throw error;
    // A tab with the refresh token refreshes; a tab that borrowed its access token asks a live tab again.
    const renewed = session.refreshToken ? await refreshOnce() : await renewBorrowed();
    if (!renewed) {
      session.clear();
      unauthorizedHandler(error);
      throw error;
    }
    return send(method, path, options);
  }
}

// ---- one session across the tabs of a browser profile
// The tab that signed in keeps the refresh token in its own sessionStorage, as before; a new tab asks the
// open ones (BroadcastChannel: same origin, same profile, never stored) for an access token only. When
// that token expires it asks again, and the tab holding the refresh token refreshes and answers. Signing
// out in one tab signs out every tab. Without a live tab, a new tab asks to sign in, as it always did.
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('scheduler.console.session') : null;
const BORROW_WAIT_MS = 500;
let signedOutElsewhere = () => {};

export function onSignedOutElsewhere(handler) {
  signedOutElsewhere = handler;
}

channel?.addEventListener('message', async ({ data }) => {
  if (data?.type === 'logout') {
    session.clear();
    signedOutElsewhere();
    return;
  }
  if (data?.type !== 'ask' || !session.token) return;
  // The asker's token went stale: the tab that can refresh does so first, then hands over the new one.
  if (data.stale && data.stale === session.token && session.refreshToken) await refreshOnce();
  if (session.token && session.token !== data.stale) channel.postMessage({ type: 'token', id: data.id, access_token: session.token });
});

// An access token from an open tab of this profile (null when none answers in time).
export function borrowToken(stale = null) {
  if (!channel) return Promise.resolve(null);
  const id = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  return new Promise((resolve) => {
    let timer = null;
    const listen = ({ data }) => {
      if (data?.type === 'token' && data.id === id && typeof data.access_token === 'string') finish(data.access_token);
    };
    const finish = (token) => {
      channel.removeEventListener('message', listen);
      clearTimeout(timer);
      resolve(token);
    };
    timer = setTimeout(() => finish(null), BORROW_WAIT_MS);
    channel.addEventListener('message', listen);
    channel.postMessage({ type: 'ask', id, stale });
  });
}

async function renewBorrowed() {
  const fresh = await borrowToken(session.token);
  if (fresh) session.token = fresh;
  return Boolean(fresh);
}

export function announceSignOut() {
  channel?.postMessage({ type: 'logout' });
}

async function send(method, path, { query, json, form, headers: extra } = {}) {
  // The server's texts (messages, errors, status labels) in the console's language.
  const headers = { Accept: 'application/json', 'Accept-Language': getLanguage() === 'en' ? 'en' : 'zh-CN', ...extra };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  let response;
  try {
    response = await fetch(buildUrl(path, query), { method, headers, body });
  } catch {
    throw new ApiError(0, t('error.0'));
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    // a proxy's HTML error page, an empty body: the status says enough
  }
  if (!response.ok) {
    const error = new ApiError(response.status, errorDetail(payload, response));
    // request() handles a 401 it can refresh or renew (and a failed one) itself.
    const handledByCaller = path === LOGIN_PATH || path === REFRESH_PATH || session.token;
    if (response.status === 401 && !handledByCaller) unauthorizedHandler(error);
    throw error;
  }
  if (typeof payload?.timestamp === 'string') learnDisplayOffset(payload.timestamp);
  return payload && typeof payload === 'object' && 'success' in payload && 'data' in payload ? payload.data : payload;
}

// A clear one-line text for the page: what kind of failure, then the server's explanation.
export function describeError(error) {
  if (!(error instanceof ApiError)) return `${t('error.load')}: ${error?.message ?? error}`;
  const known = [0, 400, 401, 403, 404, 409, 412, 413, 422, 429, 503];
  const kind = known.includes(error.status) ? t(`error.${error.status}`) : t('error.other', { status: error.status });
  return error.detail && error.detail !== kind ? `${kind}：${error.detail}` : kind;
}

const enc = encodeURIComponent;

export const api = {
  login: (username, password) => request('POST', LOGIN_PATH, { json: { username, password } }),
  logout: () => request('POST', '/api/auth/logout'),
  me: () => request('GET', '/api/auth/me'),
  jobs: () => request('GET', `${SCHEDULER}/jobs`),
  job: (jobId) => request('GET', `${SCHEDULER}/jobs/${enc(jobId)}`),
  jobStats: (jobId) => request('GET', `${SCHEDULER}/jobs/${enc(jobId)}/execution-stats`),
  jobHistory: (jobId, limit = 10) => request('GET', `${SCHEDULER}/jobs/${enc(jobId)}/history`, { query: { limit } }),
  updateMetadata: (jobId, changes) => request('PUT', `${SCHEDULER}/jobs/${enc(jobId)}/metadata`, { json: changes }),
  pause: (jobId) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/pause`),
  resume: (jobId, confirm = false) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/resume`, {
    query: confirm ? { confirm: true } : undefined,
  }),
  trigger: (jobId, force, kwargs, runAt = null) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/trigger`, {
    query: { force },
    json: kwargs === null && runAt === null ? undefined : { ...(kwargs === null ? {} : { kwargs }), ...(runAt ? { run_at: runAt } : {}) },
  }),
  stats: () => request('GET', `${SCHEDULER}/stats`),
  health: () => request('GET', `${SCHEDULER}/health`),
  executionSummary: () => request('GET', `${SCHEDULER}/execution-summary`),
  executions: (query) => request('GET', `${SCHEDULER}/executions`, { query }),
  execution: (executionId) => request('GET', `${SCHEDULER}/executions/${enc(executionId)}`),
  executionEvents: (executionId, { limit = 1000, offset = 0 } = {}) => request('GET', `${SCHEDULER}/executions/${enc(executionId)}/events`, {
    query: { limit, offset },
  }),
  cancel: (executionId) => request('POST', `${SCHEDULER}/executions/${enc(executionId)}/cancel`),
  markFailed: (executionId, reason) => request('POST', `${SCHEDULER}/executions/${enc(executionId)}/mark-failed`, {
    query: { reason },
  }),
  deleteExecution: (executionId) => request('DELETE', `${SCHEDULER}/executions/${enc(executionId)}`),
  // jobs as data
  kinds: () => request('GET', `${SCHEDULER}/kinds`),
  definition: (jobId) => request('GET', `${SCHEDULER}/jobs/${enc(jobId)}/definition`),
  createJob: (definition) => request('POST', `${SCHEDULER}/jobs`, { json: definition }),
  changeJob: (jobId, changes, version) => request('PATCH', `${SCHEDULER}/jobs/${enc(jobId)}`, {
    json: changes, headers: { 'If-Match': `"${version}"` },
  }),
  deleteJob: (jobId, cancelRunning = false) => request('DELETE', `${SCHEDULER}/jobs/${enc(jobId)}`, {
    query: cancelRunning ? { cancel_running: true } : undefined,
  }),
  resetJob: (jobId) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/reset`),
  previewTrigger: (trigger, count, policy = null) => request('POST', `${SCHEDULER}/triggers/preview`, {
    json: policy ? { trigger, count, policy } : { trigger, count },
  }),
  dependencies: () => request('GET', `${SCHEDULER}/dependencies`),
  bulk: (body) => request('POST', `${SCHEDULER}/executions/bulk`, { json: body }),
  bulkProgress: (operationId) => request('GET', `${SCHEDULER}/executions/bulk/${enc(operationId)}`),
  retention: (jobId, before, operationId) => request('POST', `${SCHEDULER}/jobs/${enc(jobId)}/executions/retention`, {
    json: operationId ? { before, operation_id: operationId } : { before },
  }),
};

export function streamUrl(types) {
  return buildUrl(`${SCHEDULER}/stream`, { access_token: session.token, type: types }).toString();
}
