"""Words in both languages: every event type a run's timeline can show, every action of a job's history and
every run status has its own label in Chinese and in English (none shown raw, none left in the other
language)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from contracts.envelope import ExecutionEvent
from contracts.events import EVENT_TYPES, CommandRejected, ExecutionStatus
from domain.catalogue_projection import _COMMAND_ACTIONS
from tests.browser.browsing import ConsoleSystem, open_console

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

LABELS = """async (keys) => {
  const i18n = await import('/console/i18n.js');
  const labels = {};
  for (const language of ['zh', 'en']) {
    i18n.setLanguage(language);
    labels[language] = Object.fromEntries(keys.map((key) => [key, i18n.t(key)]));
  }
  i18n.setLanguage('zh');
  return labels;
}"""


async def test_every_event_type_history_action_and_status_has_a_label_in_both_languages(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
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
