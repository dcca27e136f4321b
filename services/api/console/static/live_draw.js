// Live updates drawn at a steady pace: the stream may bring hundreds of events a second (a run reporting
// progress), the page draws what they changed at most once per LIVE_DRAW_MS, in an animation frame.
//
// Each draw repaints the page (in software, the whole dialog and the page behind it): drawing every
// frame cost 5 to 15 ms of paint per frame, and long tasks of 100 ms and more on a busy machine. Four
// draws a second keep progress visibly live for a fraction of that. `window.__liveDraws` counts the draws
// by name (the browser tests assert the pace structurally: draws per second, whatever the event rate).
export const LIVE_DRAW_MS = 250;

const draws = {};
window.__liveDraws = draws;

// A draw that runs at most once per `intervalMs`: `request()` asks for one (requests in between are
// coalesced into the next), `now()` draws at once (e.g. a page just loaded), `cancel()` drops a pending one.
export function liveDraw(name, draw, intervalMs = LIVE_DRAW_MS) {
  let frame = 0;
  let timer = 0;
  let last = -Infinity;
  const run = () => {
    frame = 0;
    last = performance.now();
    draws[name] = (draws[name] ?? 0) + 1;
    draw();
  };
  const cancel = () => {
    if (frame) cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = 0;
    timer = 0;
  };
  return {
    request() {
      if (frame || timer) return;
      const wait = last + intervalMs - performance.now();
      if (wait <= 0) frame = requestAnimationFrame(run);
      else timer = setTimeout(() => { timer = 0; frame = requestAnimationFrame(run); }, wait);
    },
    now() {
      cancel();
      run();
    },
    cancel,
  };
}
