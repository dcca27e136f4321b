// The live event stream (Server-Sent Events): connects, says when it drops, reconnects, asks for a resync.
//
// EventSource retries by itself after a network error; after an HTTP error (401, 503…) it gives up, so we
// reconnect ourselves with a growing delay. Events missed while down are recovered by reloading the views.
import { streamUrl } from './api.js';

export const STREAM_TYPES = [
  'JobRegistered', 'JobPaused', 'JobResumed', 'JobScheduled', 'JobMetadataUpdated', 'RunQueued', 'JobStarted',
  'Progress', 'JobFinished', 'AttemptFailed', 'JobMissed', 'JobSkipped', 'CancelRequested', 'ExecutionMarkedFailed',
  'ExecutionDeleted', 'CommandRejected', 'SchedulerHeartbeat', 'QueuedRunCancelled',
];
const RETRY_DELAYS_MS = [1000, 2000, 5000, 10000];

export class LiveStream {
  // onEvent(type, data); onStatus('connecting' | 'live' | 'down'); onResync() after a reconnection;
  // checkAuth() resolves false when the token is no longer valid (then the stream stops for good).
  constructor({ onEvent, onStatus, onResync, checkAuth }) {
    Object.assign(this, { onEvent, onStatus, onResync, checkAuth });
    this.source = null;
    this.timer = null;
    this.failures = 0;
    this.connectedOnce = false;
    this.down = false;
  }

  start() {
    this.stop();
    this.stopped = false;
    this.connectedOnce = false;
    this.down = false;
    this.onStatus('connecting');
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  connect() {
    const source = new EventSource(streamUrl(STREAM_TYPES));
    this.source = source;
    source.addEventListener('open', () => this.opened());
    for (const type of STREAM_TYPES) {
      source.addEventListener(type, (message) => this.received(type, message));
    }
    // The server ends a client that fell too far behind: start again and reload what was missed.
    source.addEventListener('overflow', () => this.lost(true));
    source.addEventListener('error', () => this.lost(source.readyState === EventSource.CLOSED));
  }

  opened() {
    this.failures = 0;
    const reconnected = this.connectedOnce && this.down;
    this.connectedOnce = true;
    this.down = false;
    this.onStatus('live');
    if (reconnected) this.onResync();
  }

  received(type, message) {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return; // not ours: ignore rather than break the page
    }
    this.onEvent(type, data);
  }

  lost(closed) {
    if (this.stopped) return;
    this.down = true;
    this.connectedOnce = true;
    this.onStatus('down');
    if (!closed) return; // EventSource is already retrying
    this.source?.close();
    const delay = RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)];
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      if ((await this.checkAuth()) === false) return;
      if (!this.stopped) this.connect();
    }, delay);
  }
}
