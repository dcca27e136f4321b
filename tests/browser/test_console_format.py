"""The console's pure functions, run in the browser: readable triggers, data sources, input checks."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.triggers import build_trigger
from services.scheduler.triggers import describe
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import open_console

pytestmark = pytest.mark.e2e

# Trigger settings of the catalogue (and a few more), as the operators would read them.
READABLE = {
    "06:30": ("每天 06:30", "daily 06:30"),
    "interval:360": ("每 6 分钟", "every 6 min"),
    "interval:90": ("每 1 分钟 30 秒", "every 1 min 30 s"),
    "interval:86400": ("每 1 天", "every 1 d"),
    "0 2 * * *": ("每天 02:00", "daily 02:00"),
    "0 16 * * 1-5": ("工作日 16:00", "weekdays 16:00"),
    "*/5 9-15 * * 1-5": ("工作日 09:00–15:59 每 5 分钟", "weekdays every 5 min, 09:00–15:59"),
    "0 3 * * 0": ("每周日 03:00", "every Sun 03:00"),
    "0 9 * * 6,0": ("周末 09:00", "weekends 09:00"),
    "0 8 * * 1,3": ("每周一、三 08:00", "every Mon, Wed 08:00"),
    "0 * * * *": ("每小时整点", "hourly on the hour"),
    "45 * * * *": ("每小时第 45 分", "hourly at :45"),
    "0 */2 * * *": ("每 2 小时整点", "every 2 h on the hour"),
    "0 9 1 * *": ("每月 1 日 09:00", "monthly on day 1 09:00"),
}

SOURCES = {
    "tushare_quotes_sync": "tushare",
    "akshare_financial_sync": "akshare",
    "baostock_status_check": "baostock",
    "basics_sync_service": "multi",
    "quotes_ingestion_service": "multi",
    "pipeline_canary": "other",
}
NAMES = {"news_sync": ("新闻数据同步（AKShare）", "akshare"), "x": ("行情（多数据源）", "multi")}


async def evaluate(page: Any, body: str, argument: Any) -> Any:
    script = f"""async (argument) => {{
      const format = await import('/console/format.js');
      const i18n = await import('/console/i18n.js');
      const jobs = await import('/console/jobs.js');
      {body}
    }}"""
    return await page.evaluate(script, argument)


async def test_readable_triggers(system: ConsoleSystem, browser: Any, page_errors: list[str]) -> None:
    page = await open_console(browser, system, page_errors)
    zone = ZoneInfo("Asia/Shanghai")
    rendered = {spec: describe(build_trigger(spec, zone)) for spec in READABLE}
    body = """
      const out = {};
      for (const language of ['zh', 'en']) {
        i18n.setLanguage(language);
        const pairs = Object.entries(argument).map(([spec, text]) => [spec, format.describeTrigger(text)]);
        out[language] = Object.fromEntries(pairs);
      }
      i18n.setLanguage('zh');
      out.raw = format.describeTrigger('date[2026-01-01 09:00:00 CST]');
      return out;
    """
    described = await evaluate(page, body, rendered)
    for spec, (chinese, english) in READABLE.items():
        assert described["zh"][spec] == chinese, (spec, rendered[spec])
        assert described["en"][spec] == english, (spec, rendered[spec])
    assert described["raw"] == "date[2026-01-01 09:00:00 CST]", "an unknown trigger is shown as it is"


async def test_data_sources_and_input_checks(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    jobs = [{"id": job_id, "name": ""} for job_id in SOURCES]
    jobs += [{"id": job_id, "name": name} for job_id, (name, _) in NAMES.items()]
    body = """
      return {
        sources: argument.map((job) => format.dataSource(job)),
        kwargs: ['', '{"a": 1}', '[1]', '3', 'null', '{a: 1}'].map((text) => jobs.parseKwargs(text)),
        emoji: jobs.metadataProblems('😀'.repeat(50), ''),
        tooLong: jobs.metadataProblems('x'.repeat(51), 'y'.repeat(201)),
        time: format.formatTime('2026-01-05T01:02:03.123456+00:00'),
      };
    """
    result = await evaluate(page, body, jobs)
    expected = [*SOURCES.values(), *(source for _, source in NAMES.values())]
    assert result["sources"] == expected
    kwargs = result["kwargs"]
    assert kwargs[0] == {"kwargs": None} and kwargs[1] == {"kwargs": {"a": 1}}
    assert all("error" in outcome for outcome in kwargs[2:])
    assert result["emoji"] == [], "50 emoji are 50 characters for the API (code points)"
    assert len(result["tooLong"]) == 2
    assert result["time"] == "2026-01-05 01:02:03 (UTC+00:00)", "at its own offset, which is not today's"


async def test_every_time_is_shown_at_its_own_offset(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    """Across daylight saving changes (the API renders each time with its own offset): Berlin's spring and
    autumn, the repeated 02:30 told apart, computed instants at the nearest offset the API gave."""
    page = await open_console(browser, system, page_errors)
    body = """
      format.learnDisplayOffset('2026-03-28T12:00:00+01:00');  // "today" is winter time in Berlin
      const times = argument.map((iso) => format.formatTime(iso));
      const summer = format.toMillis('2026-07-01T12:00:00+02:00');
      return {
        times,
        bucketWinter: format.formatBucket(
          format.bucketStart(format.toMillis('2026-03-28T23:40:00+01:00'), 'hour'), 'hour'),
        bucketSummer: format.formatBucket(format.bucketStart(summer + 3600000, 'hour'), 'hour'),
        summerIso: format.toIsoAtOffset(summer + 60000),
        typedSummer: format.fromLocalInput('2026-07-01T12:30') === summer + 1800000,
        typedWinter: format.toIsoAtOffset(format.fromLocalInput('2026-03-28T12:30')),
        header: format.offsetText(),
      };
    """
    isos = [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
    ]
    result = await evaluate(page, body, isos)
    assert result["times"] == [
        "2026-03-29 01:30:00",
        "2026-03-29 03:00:00 (UTC+02:00)",
        "2026-10-25 02:30:00 (UTC+02:00)",
        "2026-10-25 02:30:00",
    ]
    assert result["bucketWinter"] == "23:00" and result["bucketSummer"] == "13:00"
    assert result["summerIso"] == "2026-07-01T12:01:00+02:00"
    assert result["typedSummer"] is True and result["typedWinter"] == "2026-03-28T12:30:00+01:00"
    assert result["header"] == "UTC+01:00"
