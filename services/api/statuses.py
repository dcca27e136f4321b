"""Execution statuses: their labels in both languages and the original four each maps to.

The original server knew `running`, `success`, `failed` and `missed`; a client built for it labels only
those. `original` says what such a client should show for each status (also in the README's table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.api.language import Language
from services.api.language import current_language

Original = Literal["running", "success", "failed", "missed"]


@dataclass(frozen=True)
class StatusLabel:
    """An execution status: its labels, the original status it maps to, and whether it is final."""

    status: str
    chinese: str
    english: str
    original: Original
    final: bool

    def label(self, language: Language | None = None) -> str:
        """The status's label in `language` (default: the request's)."""
        return self.english if (language or current_language()) == "en" else self.chinese


STATUSES: tuple[StatusLabel, ...] = (
    StatusLabel("scheduled", "已预约", "Scheduled", "running", final=False),
    StatusLabel("queued", "排队中", "Queued", "running", final=False),
    StatusLabel("running", "运行中", "Running", "running", final=False),
    StatusLabel("success", "成功", "Succeeded", "success", final=True),
    StatusLabel("partial", "部分完成", "Partly done", "failed", final=True),
    StatusLabel("failed", "失败", "Failed", "failed", final=True),
    StatusLabel("missed", "错过", "Missed", "missed", final=True),
    StatusLabel("cancelled", "已取消", "Cancelled", "failed", final=True),
    StatusLabel("skipped", "已跳过", "Skipped", "missed", final=True),
    StatusLabel("waiting", "等待上游", "Waiting for upstream jobs", "running", final=False),
)
_BY_STATUS = {entry.status: entry for entry in STATUSES}
STATUS_NAMES: tuple[str, ...] = tuple(entry.status for entry in STATUSES)


def status_text(status: str, language: Language | None = None) -> str:
    """The label of `status` in the request's language (the status itself if it is unknown)."""
    entry = _BY_STATUS.get(status)
    return status if entry is None else entry.label(language)
