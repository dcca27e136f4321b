"""The console's frames while a 2,000-step run is live with its detail open, and where the time goes.

`python -m bench.console_frames [--steps N] [--duration S] [--top K]`: starts the embedded system as the
browser tests do (`tests.browser.console_server`, a throw-away data directory), signs in with headless
Chromium (`/usr/bin/chromium`), triggers `pipeline_canary` with N steps over S seconds, opens the run's
detail while it is live and, until its `JobFinished` is drawn, records the longest long task, the largest
gap between animation frames and a CPU profile of the page (CDP `Profiler`, sampled every 200 µs). Prints
those two figures, the long tasks, and the K functions with the most self time (the page's own scripts and
the browser's built-in work, e.g. `(garbage collector)`, `(program)`).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from tests.browser.browsing import CHROMIUM, CHROMIUM_ARGS, SERVER_MODULE, open_console, sign_in
from tests.browser.test_console_timeline import FRAME_WATCH
from tests.e2e.harness import ApiClient, ServiceProcess, base_env, free_port, running

SAMPLING_INTERVAL_US = 200


class _System:
    """Enough of `tests.browser.browsing.ConsoleSystem` for `open_console`."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


def self_times(profile: dict[str, Any]) -> Counter[str]:
    """Milliseconds of self time per function ("name file:line") in a CDP `Profiler` profile."""
    names: dict[int, str] = {}
    for node in profile["nodes"]:
        frame = node["callFrame"]
        where = Path(frame["url"]).name if frame["url"] else ""
        line = f":{frame['lineNumber'] + 1}" if where else ""
        names[node["id"]] = f"{frame['functionName'] or '(anonymous)'} {where}{line}".strip()
    spent: Counter[str] = Counter()
    for node_id, delta_us in zip(profile["samples"], profile["timeDeltas"], strict=True):
        spent[names[node_id]] += delta_us / 1000
    return spent


async def measure(steps: int, duration_s: float, top: int) -> None:
    """Run the scenario once and print the figures."""
    from playwright.async_api import async_playwright, expect

    with tempfile.TemporaryDirectory(prefix="console-frames-") as scratch:
        port = free_port()
        env = base_env(Path(scratch) / "data", SCHEDULER_PORT=str(port))
        processes = [ServiceProcess(SERVER_MODULE, env, Path(scratch), name="console")]
        with running(processes):
            api = ApiClient(f"http://127.0.0.1:{port}")
            try:
                await api.wait_ready(processes)
                await api.login()
                await api.wait_for_job("pipeline_canary")
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(
                        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                    )
                    try:
                        await _scenario(
                            browser, api, _System(f"http://127.0.0.1:{port}"), steps, duration_s, top, expect
                        )
                    finally:
                        await browser.close()
            finally:
                await api.close()


async def _scenario(
    browser: Any, api: ApiClient, system: _System, steps: int, duration_s: float, top: int, expect: Any
) -> None:
    errors: list[str] = []
    page = await open_console(browser, system, errors)  # type: ignore[arg-type]
    await sign_in(page)
    await page.click("a[data-tab=runs]")
    execution_id = await api.trigger("pipeline_canary", duration_s=duration_s, steps=steps)
    row = page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")
    await expect(row).to_have_attribute("data-status", "running", timeout=30000)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": SAMPLING_INTERVAL_US})
    await page.evaluate(FRAME_WATCH)
    await cdp.send("Profiler.start")
    await row.locator("[data-role=run-detail]").click()
    timeline = page.locator("dialog[data-testid=run-detail] [data-testid=run-timeline]")
    await expect(timeline.locator("> li").last).to_have_attribute("data-type", "JobFinished", timeout=120000)
    frames = await page.evaluate("() => { window.__frames.stopped = true; return window.__frames; }")
    profile = (await cdp.send("Profiler.stop"))["profile"]
    print(f"steps {steps} over {duration_s} s, detail open while live")
    longest_task, longest_gap = frames["longest_task_ms"], frames["longest_frame_gap_ms"]
    print(f"longest task: {longest_task:.0f} ms; longest frame gap: {longest_gap:.0f} ms")
    durations = [round(task["duration_ms"]) for task in frames["long_tasks"]]
    print(f"long tasks (> 50 ms): {len(durations)}: {durations}")
    print(f"top {top} functions by self time (ms):")
    for name, spent in self_times(profile).most_common(top):
        print(f"  {spent:9.1f}  {name}")
    if errors:
        print(f"JavaScript errors: {errors}")


def main() -> None:
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    asyncio.run(measure(options.steps, options.duration, options.top))


if __name__ == "__main__":
    main()
