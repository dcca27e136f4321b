"""A run's whole timeline in the console: a 2,000-step canary shows every event (read page by page), its
Progress events folded into one expandable line, the status pinned at the top of the dialog while the
timeline scrolls, the DOM bounded and the live parts drawn at a steady pace (draws counted) while the run
is live, and the page's longest frame while the run is live recorded and printed (not asserted: timing).
The 2,000-step run is long, so it runs in Chinese at 1440×900 only; the other languages and sizes watch a
short run through the same checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.browsing import text

pytestmark = pytest.mark.e2e

STEPS = 2000
LONG_RUN_LOOK = Look("zh", "desktop")
SHORT_RUN = {"duration_s": 3, "steps": 30}

# Long tasks (over 50 ms, as the browser reports them) and the largest gap between animation frames.
FRAME_WATCH = """() => {
  window.__frames = { longest_task_ms: 0, long_tasks: [], longest_frame_gap_ms: 0, opened_at_ms: null };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__frames.long_tasks.push({ start_ms: Math.round(entry.startTime), duration_ms: entry.duration });
      window.__frames.longest_task_ms = Math.max(window.__frames.longest_task_ms, entry.duration);
    }
  }).observe({ type: 'longtask' });
  let last = performance.now();
  const tick = (now) => {
    window.__frames.longest_frame_gap_ms = Math.max(window.__frames.longest_frame_gap_ms, now - last);
    last = now;
    if (!window.__frames.stopped) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


LIVE_DRAW_MS = 250  # live_draw.js
DRAWS_AT_OPEN = """() => {
  window.__frames.opened_at_ms = Math.round(performance.now());
  window.__drawsAtOpen = { ...window.__liveDraws };
}"""
DRAWS_SINCE_OPEN = """() => {
  const counts = {};
  for (const [name, count] of Object.entries(window.__liveDraws)) {
    counts[name] = count - (window.__drawsAtOpen[name] ?? 0);
  }
  return { counts, elapsed_ms: performance.now() - window.__frames.opened_at_ms };
}"""


async def folded_progress_count(detail: Any) -> int:
    counts = await detail.locator("[data-testid=run-timeline] > li[data-folded]").evaluate_all(
        "items => items.map((item) => Number(item.dataset.count))"
    )
    return int(sum(counts))


async def test_a_2000_step_run_has_its_whole_timeline_folded_with_the_status_pinned(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path, look: Look
) -> None:
    long_run = look == LONG_RUN_LOOK
    run = {"duration_s": 8, "steps": STEPS} if long_run else SHORT_RUN
    steps = run["steps"]
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    execution_id = await system.api.trigger("pipeline_canary", **run)
    await page.click("a[data-tab=runs]")
    row = page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")
    await expect(row).to_have_attribute("data-status", "running", timeout=30000)
    await page.evaluate(FRAME_WATCH)
    await page.evaluate(DRAWS_AT_OPEN)
    await row.locator("[data-role=run-detail]").click()
    detail = page.locator("dialog[data-testid=run-detail]")
    timeline = detail.locator("[data-testid=run-timeline]")

    await expect(timeline.locator("> li").last).to_have_attribute("data-type", "JobFinished", timeout=90000)
    frames = await page.evaluate("() => { window.__frames.stopped = true; return window.__frames; }")
    draws = await page.evaluate(DRAWS_SINCE_OPEN)
    if long_run:
        (artifacts / "timeline-frames.json").write_text(json.dumps(frames | {"draws": draws}, indent=2))
        print(f"\nlongest frame while the {STEPS}-step run was live: {frames}; live draws: {draws}")
    # Structural, whatever the machine's speed: the open run's parts and the runs table behind it are drawn
    # at the live pace (at most one draw per LIVE_DRAW_MS each), not once per event or per frame.
    most = draws["elapsed_ms"] / LIVE_DRAW_MS + 2
    for name in ("run-timeline", "run-summary", "runs-rows", "run-log"):
        assert 0 < draws["counts"].get(name, 0) <= most, (name, draws)
    if long_run:
        assert draws["counts"]["run-timeline"] < STEPS / 5
    success = await text(page, "status.success")
    await expect(detail.locator("[data-testid=pinned-status] [data-testid=run-status]")).to_have_text(success)
    # What keeps frames short is structural: the live timeline is a handful of lines (Progress folded, a
    # fold's steps drawn only when opened) and the run log draws its latest lines only.
    assert await timeline.locator("> li").count() <= 10
    assert await timeline.locator("li[data-folded] ol > li").count() == 0
    log_rows = await detail.locator("[data-testid=run-log-lines] li[data-level]").count()
    log_count = await detail.locator("[data-testid=run-log-count]").text_content()
    print(f"run log rows drawn: {log_rows} ({log_count})")
    assert log_rows <= 200

    # Opened again after the end, the timeline is read page by page from the API: every event is there.
    await detail.locator(".dialog-actions [data-role=close]").click()
    await row.locator("[data-role=run-detail]").click()
    await expect(timeline.locator("> li").last).to_have_attribute("data-type", "JobFinished")
    assert await timeline.locator("> li[data-type=Progress]:not([data-folded])").count() == 0
    assert await folded_progress_count(detail) == steps
    folds = timeline.locator("> li[data-folded]")
    # The labels' fixed parts, around their slots (a NUL stands for each slot).
    folded = await text(page, "run.progress_folded", count=f"{steps:,}", **{"from": "\0", "to": "100 %"})
    for part in folded.split("\0"):
        await expect(folds.first.locator("summary")).to_contain_text(part)
    note = detail.locator("[data-testid=run-timeline-note]")
    await expect(note).to_contain_text((await text(page, "run.events_count", total="\0")).split("\0")[1])
    left_out = await text(page, "run.events_left_out", count="\0", **{"from": "\0", "to": "\0"})
    await expect(note).not_to_contain_text(left_out.split("\0")[1])

    # Expanded, the fold lists every step; scrolled to the end, the status stays in view.
    await folds.first.locator("summary").click()
    await expect(folds.first.locator("ol > li[data-type=Progress]")).to_have_count(steps)
    await detail.locator(".dialog-body").evaluate("(body) => { body.scrollTop = body.scrollHeight; }")
    await expect(timeline.locator("> li").last).to_be_in_viewport()
    await expect(detail.locator("[data-testid=pinned-status]")).to_be_in_viewport()
    await expect(detail.locator("[data-testid=pinned-attempt]")).to_contain_text("1")
    await page.screenshot(path=str(artifacts / f"timeline-{steps}-steps-{look.id}.png"))
    assert page_errors == []
