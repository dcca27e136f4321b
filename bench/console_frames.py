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
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.browser.browsing import CHROMIUM
from tests.browser.browsing import CHROMIUM_ARGS
from tests.browser.browsing import SERVER_MODULE
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.test_console_timeline import FRAME_WATCH
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running

SAMPLING_INTERVAL_US = 200
LONG_TASK_US = 50_000
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8"]


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


def long_task_breakdown(trace: dict[str, Any], top: int) -> list[str]:
    """For each task over 50 ms on the page's main thread: its length and what it spent it on (the trace
    events inside it, by name, e.g. `FunctionCall`, `UpdateLayoutTree`, `Layout`, `Paint`)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    main = {
        (event["pid"], event["tid"])
        for event in events
        if event.get("name") == "thread_name" and event.get("args", {}).get("name") == "CrRendererMain"
    }
    complete = [event for event in events if event.get("ph") == "X" and (event["pid"], event["tid"]) in main]
    tasks = sorted(
        (event for event in complete if event["name"] == "RunTask" and event.get("dur", 0) > LONG_TASK_US),
        key=lambda event: event["ts"],
    )
    lines = []
    for task in tasks:
        end = task["ts"] + task["dur"]
        inside: Counter[str] = Counter()
        for event in complete:
            if event is not task and task["ts"] <= event["ts"] < end and event["name"] != "RunTask":
                data = event.get("args", {}).get("data", {})
                where = (
                    data.get("functionName") or Path(str(data.get("url", ""))).name or data.get("type", "")
                )
                inside[f"{event['name']}{f' {where}' if where else ''}"] += event.get("dur", 0) / 1000
        parts = ", ".join(f"{name} {spent:.0f}" for name, spent in inside.most_common(top))
        lines.append(f"  {task['dur'] / 1000:6.0f} ms: {parts}")
    return lines


async def measure(steps: int, duration_s: float, top: int, trace_file: Path | None = None) -> None:
    """Run the scenario once and print the figures."""
    from playwright.async_api import async_playwright
    from playwright.async_api import expect

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
                        system = _System(f"http://127.0.0.1:{port}")
                        await _scenario(
                            browser, api, system, Options(steps, duration_s, top, trace_file), expect
                        )
                    finally:
                        await browser.close()
            finally:
                await api.close()


@dataclass(frozen=True)
class Options:
    """What to run and what to print."""

    steps: int
    duration_s: float
    top: int
    trace_file: Path | None


async def _scenario(browser: Any, api: ApiClient, system: _System, options: Options, expect: Any) -> None:
    errors: list[str] = []
    page = await open_console(browser, system, errors)  # type: ignore[arg-type]
    try:
        await _measured(page, api, options, expect)
    finally:
        if errors:
            print(f"JavaScript errors: {errors}")


async def _measured(page: Any, api: ApiClient, options: Options, expect: Any) -> None:
    steps, duration_s, top, trace_file = options.steps, options.duration_s, options.top, options.trace_file
    browser = page.context.browser
    await sign_in(page)
    await page.click("a[data-tab=runs]")
    # Triggered once the table is read and the stream is live: its RunQueued then reaches the page.
    await page.wait_for_selector("#runs-table table")
    await page.wait_for_selector(".stream-status.stream-live", state="attached")
    execution_id = await api.trigger("pipeline_canary", duration_s=duration_s, steps=steps)
    row = page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")
    await expect(row).to_have_attribute("data-status", "running", timeout=30000)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": SAMPLING_INTERVAL_US})
    await page.evaluate(FRAME_WATCH)
    await cdp.send("Profiler.start")
    await browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    await row.locator("[data-role=run-detail]").click()
    timeline = page.locator("dialog[data-testid=run-detail] [data-testid=run-timeline]")
    await expect(timeline.locator("> li").last).to_have_attribute("data-type", "JobFinished", timeout=120000)
    frames = await page.evaluate("() => { window.__frames.stopped = true; return window.__frames; }")
    profile = (await cdp.send("Profiler.stop"))["profile"]
    raw = await browser.stop_tracing()
    if trace_file is not None:
        trace_file.write_bytes(raw)
    trace = json.loads(raw)
    print(f"steps {steps} over {duration_s} s, detail open while live")
    longest_task, longest_gap = frames["longest_task_ms"], frames["longest_frame_gap_ms"]
    print(f"longest task: {longest_task:.0f} ms; longest frame gap: {longest_gap:.0f} ms")
    durations = [round(task["duration_ms"]) for task in frames["long_tasks"]]
    print(f"long tasks (> 50 ms): {len(durations)}: {durations}")
    print(f"top {top} functions by self time (ms):")
    for name, spent in self_times(profile).most_common(top):
        print(f"  {spent:9.1f}  {name}")
    print("long tasks in the trace (ms spent inside, by event):")
    for line in long_task_breakdown(trace, 8):
        print(line)


def main() -> None:
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--trace-file", type=Path, default=None, help="keep the Chrome trace there")
    options = parser.parse_args()
    asyncio.run(measure(options.steps, options.duration, options.top, options.trace_file))


if __name__ == "__main__":
    main()
