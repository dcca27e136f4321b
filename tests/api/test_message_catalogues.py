"""The API's text catalogues: one per language, the same keys in the same order, the same slots in each."""

from __future__ import annotations

from string import Formatter
from typing import get_args

import pytest

from services.api.language import Language
from services.api.messages import catalogue
from services.api.messages import text

LANGUAGES: tuple[Language, ...] = get_args(Language)


def slots(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_every_language_has_every_key_in_the_same_order() -> None:
    chinese = catalogue("zh")
    assert chinese
    for language in LANGUAGES:
        assert list(catalogue(language)) == list(chinese), language


def test_every_text_takes_the_same_values_in_every_language() -> None:
    for key, template in catalogue("zh").items():
        for language in LANGUAGES:
            assert slots(catalogue(language)[key]) == slots(template), (key, language)


def test_texts_are_not_empty() -> None:
    for language in LANGUAGES:
        assert all(value.strip() for value in catalogue(language).values()), language


@pytest.mark.parametrize(
    ("language", "expected"), [("zh", "任务 quotes 已暂停"), ("en", "Job quotes paused")]
)
def test_a_text_in_each_language(language: Language, expected: str) -> None:
    assert text("paused", language, job_id="quotes") == expected


def test_chinese_is_the_default_outside_a_request() -> None:
    assert text("forbidden") == "需要管理员权限"
