"""Words in both languages: every event type a run's timeline can show, every action of a job's history and
every run status has its own label in Chinese and in English (none shown raw, none left in the other
language); and, in each language at 1440×900 and 390×844, the page drawn in that language with no label
shown as its key."""

from __future__ import annotations

from typing import Any
from typing import get_args

import pytest

from contracts.envelope import ExecutionEvent
from contracts.events import EVENT_TYPES
from contracts.events import CommandRejected
from contracts.events import ExecutionStatus
from domain.catalogue_projection import _COMMAND_ACTIONS
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import open_console

pytestmark = pytest.mark.e2e

# A run's timeline: the events about one execution, and the commands about it that were refused.
TIMELINE_TYPES = sorted(
    event.model_fields["type"].default
    for event in EVENT_TYPES
    if issubclass(event, ExecutionEvent) or event is CommandRejected
)
# The history's actions (`domain.catalogue_projection`): a refused command's, and the events' own ones.
HISTORY_ACTIONS = sorted(
    {*_COMMAND_ACTIONS.values(), "pause", "resume", "trigger", "schedule_run", "backfill", "cancel_backfill"}
    | {"update_metadata", "cancel", "delete", "mark_failed"}
)
STATUSES = sorted(get_args(ExecutionStatus))

# The page's language, and its static labels (data-i18n) that show their key instead of a text.
DRAWN = """() => ({
  lang: document.documentElement.lang,
  raw: [...document.querySelectorAll('[data-i18n]')]
    .filter((element) => element.textContent.trim() === element.dataset.i18n)
    .map((element) => element.dataset.i18n),
})"""

LABELS = """async (keys) => {
  const i18n = await import('/console/i18n.js');
  const labels = {};
  const current = i18n.getLanguage();
  for (const language of ['zh', 'en']) {
    i18n.setLanguage(language);
    labels[language] = Object.fromEntries(keys.map((key) => [key, i18n.t(key)]));
  }
  i18n.setLanguage(current);
  return labels;
}"""


async def test_every_event_type_history_action_and_status_has_a_label_in_both_languages(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    page = await open_console(browser, system, page_errors, look)
    await page.wait_for_selector("#login-form")
    drawn = await page.evaluate(DRAWN)
    assert drawn["lang"] == {"zh": "zh-CN", "en": "en"}[look.language], drawn
    assert drawn["raw"] == [], f"{look.id}: labels shown as their key: {drawn['raw']}"
    keys = [
        *(f"event.{name}" for name in TIMELINE_TYPES),
        *(f"history.{action}" for action in HISTORY_ACTIONS),
        *(f"status.{status}" for status in STATUSES),
    ]
    labels = await page.evaluate(LABELS, keys)
    raw = [key for key in keys if labels["zh"][key] == key or labels["en"][key] == key]
    assert raw == [], f"shown as their key: {raw}"
    untranslated = [key for key in keys if labels["zh"][key] == labels["en"][key]]
    assert untranslated == [], f"the same text in both languages: {untranslated}"
    latin = [key for key in keys if labels["zh"][key].isascii()]
    assert latin == [], f"not in Chinese: {latin}"
