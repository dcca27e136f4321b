"""The API's texts in Chinese and English.

Chinese is the default. By key: `text(key, **values)` in the request's language (see `language`). Keys name
what the text says; the values are formatted in. The texts are data, one catalogue per language next to
this module (`texts/zh.json`, `texts/en.json`: the same keys in the same order), read once per process.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from services.api.language import Language
from services.api.language import current_language

CATALOGUE_DIR = Path(__file__).resolve().parent / "texts"


@cache
def catalogue(language: Language) -> dict[str, str]:
    """The texts of `language` by key (`texts/<language>.json`)."""
    texts: dict[str, str] = json.loads((CATALOGUE_DIR / f"{language}.json").read_text(encoding="utf-8"))
    return texts


def text(key: str, language: Language | None = None, **values: Any) -> str:
    """The text of `key` in `language` (default: the request's), with `values` formatted in."""
    template = catalogue(language or current_language())[key]
    return template.format(**values) if values else template
