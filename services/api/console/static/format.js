// Times in the configured display timezone, readable triggers, data sources, durations.
import { t } from './i18n.js';

// The API renders every datetime in the configured timezone (default Asia/Shanghai, UTC+08:00) with that
// instant's own offset: across a daylight saving change, a time in winter says +01:00 and one in summer
// +02:00. The console shows each time at its own offset, never at today's; a time whose offset is not
// today's (the header's) says so. Instants the console computes itself (chart buckets, typed bounds) take
// the offset of the nearest instant the API sent.
let displayOffsetMinutes = 8 * 60;

// Offsets seen, by instant (bounded: the oldest are forgotten first).
const MAX_LEARNED = 5000;
const learnedOffsets = new Map();

export function offsetOfIso(iso) {
  const match = /(?:([+-])(\d{2}):?(\d{2})|Z)$/.exec(typeof iso === 'string' ? iso : '');
  if (!match) return null;
  return match[1] ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

function rememberOffset(millis, minutes) {
  if (millis === null || minutes === null) return;
  learnedOffsets.delete(millis);
  if (learnedOffsets.size >= MAX_LEARNED) learnedOffsets.delete(learnedOffsets.keys().next().value);
  learnedOffsets.set(millis, minutes);
}

// The display timezone's offset at an instant: the one the API gave for it, else the nearest one seen.
export function offsetAt(millis) {
  if (learnedOffsets.has(millis)) return learnedOffsets.get(millis);
  let best = displayOffsetMinutes;
  let distance = Infinity;
  for (const [at, minutes] of learnedOffsets) {
    if (Math.abs(at - millis) < distance) {
      distance = Math.abs(at - millis);
      best = minutes;
    }
  }
  return best;
}

// Every answer's `timestamp` (now, in the display timezone): today's offset, shown in the header.
export function learnDisplayOffset(iso) {
  const minutes = offsetOfIso(iso);
  if (minutes === null) return;
  displayOffsetMinutes = minutes;
  rememberOffset(toMillis(iso), minutes);
}

export function offsetText(minutes = displayOffsetMinutes) {
  return `UTC${offsetSuffix(minutes)}`;
}

function offsetSuffix(minutes) {
  const sign = minutes < 0 ? '-' : '+';
  const size = Math.abs(minutes);
  return `${sign}${pad(Math.floor(size / 60))}:${pad(size % 60)}`;
}

const pad = (value) => String(value).padStart(2, '0');

// Milliseconds since the epoch; accepts the API's microsecond ISO strings (and learns their offset).
export function toMillis(iso) {
  if (iso === null || iso === undefined || iso === '') return null;
  const trimmed = String(iso).replace(/(\.\d{3})\d+/, '$1');
  const millis = Date.parse(trimmed);
  if (Number.isNaN(millis)) return null;
  rememberOffset(millis, offsetOfIso(String(iso)));
  return millis;
}

function wallClock(millis, offsetMinutes) {
  const shifted = new Date(millis + offsetMinutes * 60000);
  return {
    year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes(), second: shifted.getUTCSeconds(),
  };
}

// `2026-10-25 02:30:00`, and ` (UTC+01:00)` after it when that time's offset is not today's.
export function formatTime(iso, { seconds = true } = {}) {
  const millis = typeof iso === 'number' ? iso : toMillis(iso);
  if (millis === null) return iso ? String(iso) : '—';
  const own = typeof iso === 'number' ? null : offsetOfIso(String(iso));
  const offset = own ?? offsetAt(millis);
  const c = wallClock(millis, offset);
  const time = `${pad(c.hour)}:${pad(c.minute)}${seconds ? `:${pad(c.second)}` : ''}`;
  const note = offset === displayOffsetMinutes ? '' : ` (${offsetText(offset)})`;
  return `${c.year}-${pad(c.month)}-${pad(c.day)} ${time}${note}`;
}

export function formatBucket(millis, unit) {
  const c = wallClock(millis, offsetAt(millis));
  return unit === 'hour' ? `${pad(c.hour)}:00` : `${pad(c.month)}-${pad(c.day)}`;
}

// Start of the hour or day (in the display timezone, at that instant's offset) that holds `millis`.
export function bucketStart(millis, unit) {
  const size = unit === 'hour' ? 3600000 : 86400000;
  const offset = offsetAt(millis) * 60000;
  return Math.floor((millis + offset) / size) * size - offset;
}

// <input type="datetime-local"> value <-> epoch millis, read at the display timezone's offset of that time.
export function fromLocalInput(value) {
  if (!value) return null;
  const seconds = value.length === 16 ? ':00' : '';
  const asUtc = toMillisQuietly(`${value}${seconds}Z`);
  if (asUtc === null) return null;
  const guess = asUtc - displayOffsetMinutes * 60000;
  return asUtc - offsetAt(guess) * 60000;
}

function toMillisQuietly(iso) {
  const millis = Date.parse(iso);
  return Number.isNaN(millis) ? null : millis;
}

export function toIsoAtOffset(millis) {
  const offset = offsetAt(millis);
  const c = wallClock(millis, offset);
  return `${c.year}-${pad(c.month)}-${pad(c.day)}T${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}${offsetSuffix(offset)}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} m ${pad(Math.round(seconds % 60))} s`;
  return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} m`;
}

// ---- triggers: APScheduler 3's own rendering, e.g. cron[day_of_week='mon,tue,wed,thu,fri', hour='16', minute='0']

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const INTEGER = /^\d+$/;

export function describeTrigger(raw) {
  const text = String(raw ?? '').trim();
  const interval = /^interval\[(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?\]$/.exec(text);
  if (interval) return describeInterval(interval.slice(1).map((part) => Number(part ?? 0)));
  const cron = /^cron\[(.*)\]$/.exec(text);
  if (cron) return describeCron(cron[1]) ?? text;
  const after = /^after:(.+)$/.exec(text);
  if (after) return t('trigger.after', { jobs: after[1].split(',').map((job) => job.trim()).join(', ') });
  return text || '—';
}

function describeInterval([days, hours, minutes, seconds]) {
  const parts = [['d', days], ['h', hours], ['m', minutes], ['s', seconds]]
    .filter(([, amount]) => amount > 0)
    .map(([unit, amount]) => t(`unit.${unit}`, { n: amount }));
  return t('trigger.interval', { text: parts.join(' ') || t('unit.s', { n: 0 }) });
}

function describeCron(body) {
  const fields = {};
  for (const [, name, value] of body.matchAll(/(\w+)='([^']*)'/g)) fields[name] = value;
  const { year = '*', week = '*', second = '0' } = fields;
  if (year !== '*' || week !== '*' || second !== '0') return null;
  const days = describeDays(fields.day ?? '*', fields.month ?? '*', fields.day_of_week ?? '*');
  const time = describeTimeOfDay(fields.hour ?? '*', fields.minute ?? '*');
  if (days === null || time === null) return null;
  if (!time.fixed && days === t('cron.daily')) return time.text;
  return `${days} ${time.text}`;
}

function expandDays(field) {
  const names = new Set();
  for (const part of field.split(',')) {
    const [start, end] = part.split('-');
    const first = DAYS.indexOf(start);
    const last = end === undefined ? first : DAYS.indexOf(end);
    if (first < 0 || last < 0 || last < first) return null;
    for (let index = first; index <= last; index += 1) names.add(DAYS[index]);
  }
  return DAYS.filter((day) => names.has(day));
}

function describeDays(day, month, dayOfWeek) {
  let text;
  if (dayOfWeek === '*') {
    text = day === '*' ? t('cron.daily') : INTEGER.test(day) ? t('cron.monthly', { day }) : null;
  } else {
    if (day !== '*') return null;
    const days = expandDays(dayOfWeek);
    if (days === null) return null;
    const joined = days.join(',');
    if (joined === 'mon,tue,wed,thu,fri') text = t('cron.weekdays');
    else if (joined === 'sat,sun') text = t('cron.weekends');
    else text = t('cron.weekly', { days: days.map((name) => t(`dow.${name}`)).join(t('cron.day_sep')) });
  }
  if (text === null) return null;
  return month === '*' ? text : `${t('cron.month', { month })} ${text}`;
}

function describeTimeOfDay(hour, minute) {
  const every = (field) => /^\*\/(\d+)$/.exec(field)?.[1];
  if (INTEGER.test(hour) && INTEGER.test(minute)) return { fixed: true, text: `${pad(hour)}:${pad(minute)}` };
  if (hour === '*' && INTEGER.test(minute)) {
    return { fixed: false, text: Number(minute) === 0 ? t('cron.hourly') : t('cron.hourly_at', { minute: pad(minute) }) };
  }
  if (every(hour) && INTEGER.test(minute)) {
    const n = every(hour);
    const text = Number(minute) === 0 ? t('cron.every_h0', { n }) : t('cron.every_h', { n, minute: pad(minute) });
    return { fixed: false, text };
  }
  if (every(minute) && hour === '*') return { fixed: false, text: t('cron.every_m', { n: every(minute) }) };
  const window = /^(\d+)-(\d+)$/.exec(hour);
  if (every(minute) && window) {
    const text = t('cron.window_every_m', { n: every(minute), from: `${pad(window[1])}:00`, to: `${pad(window[2])}:59` });
    return { fixed: false, text };
  }
  if (/^[\d,-]+$/.test(hour) && INTEGER.test(minute)) {
    return { fixed: false, text: t('cron.hours_at', { hours: hour, minute: pad(minute) }) };
  }
  return null;
}

// ---- data sources, from the job's id and name (the catalogue names them, e.g. "…（Tushare）")

export const SOURCES = ['tushare', 'akshare', 'baostock', 'multi', 'other'];
// Jobs of the catalogue that fall back or rotate between providers (../shared/spec/jobs.md).
const MULTI_SOURCE_JOBS = new Set(['basics_sync_service', 'quotes_ingestion_service']);

export function dataSource(job) {
  const text = `${job.id} ${job.name ?? ''}`.toLowerCase();
  const named = ['tushare', 'akshare', 'baostock'].filter((source) => text.includes(source));
  if (MULTI_SOURCE_JOBS.has(job.id) || text.includes('多数据源') || named.length > 1) return 'multi';
  return named[0] ?? 'other';
}

// Length as the API counts it (Python counts code points; JavaScript's .length counts UTF-16 units).
export const codePoints = (text) => [...text].length;
