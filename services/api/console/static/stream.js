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
const SLICE_MS = 8;

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
    this.queue = []; // [type, data text] received, handled from `next` on
    this.next = 0;
    this.channel = new MessageChannel();
    this.channel.port1.onmessage = () => this.drain();
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
    this.queue = [];
    this.next = 0;
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

  // EventSource hands every event of a network chunk over in one task: a burst of hundreds (a run reporting
  // progress, a reconnection) would be one long task. So events are queued and handled in slices of at
  // most SLICE_MS, each its own task (a MessageChannel message: no timer clamping), in their order.
  received(type, message) {
    this.queue.push([type, message.data]);
    if (this.queue.length - this.next === 1) this.channel.port2.postMessage(null);
  }

  drain() {
    const until = performance.now() + SLICE_MS;
    while (this.next < this.queue.length && performance.now() < until) {
      const [type, raw] = this.queue[this.next];
      this.next += 1;
      let data;
      try {
        data = JSON.parse(raw);
      } catch {
        continue; // not ours: ignore rather than break the page
      }
      this.onEvent(type, data);
    }
    if (this.next < this.queue.length) this.channel.port2.postMessage(null);
    else {
      this.queue = [];
      this.next = 0;
    }
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
