// The address says what is shown: the view, the runs' filters and page, the open run
// (`#runs?status=failed&since=2025-01-06T09:30&run=<id>`): a reload or a shared link shows the same.
const VIEWS = new Set(['overview', 'runs', 'alerts', 'dependencies']);

export function readLocation() {
  const [view, query = ''] = location.hash.slice(1).split('?');
  return { view: VIEWS.has(view) ? view : 'overview', params: new URLSearchParams(query) };
}

function write(view, params) {
  const query = params.toString();
  const hash = `#${view}${query ? `?${query}` : ''}`;
  // replaceState: no hashchange, so writing the address never reloads what it describes.
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// The runs' filters and page, keeping the open run.
export function writeRunsLocation(values) {
  const { params: current } = readLocation();
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== null && value !== undefined && value !== '') params.set(name, value);
  if (current.get('run')) params.set('run', current.get('run'));
  write('runs', params);
}

export function writeOpenRun(executionId) {
  const { view, params } = readLocation();
  if (executionId) params.set('run', executionId);
  else params.delete('run');
  write(view, params);
}

export function runsHash(values) {
  const params = new URLSearchParams(Object.entries(values).filter(([, value]) => value));
  return `#runs${params.toString() ? `?${params}` : ''}`;
}
