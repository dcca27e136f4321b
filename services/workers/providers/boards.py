"""Code → exchange → board, as data: one vocabulary for every source.

The first matching prefix (longest first) decides. Sources: the exchanges' own code allocation rules —
SSE 600/601/603/605 main board, 688 STAR, 689 STAR CDRs (e.g. 689009), 900 B shares; SZSE 000-003 main
board (002/003 were the SME board until 2021), 300/301/302 ChiNext (302xxx is the segment opened in 2024,
e.g. 302132), 200 B shares; BSE 92 (920xxx, codes from 2024 on) and the NEEQ-era 43/83/87/88 still traded.
A provider's own board label (tushare `market`, which also says `CDR`) is not used: the code decides.
"""

from __future__ import annotations

from dataclasses import dataclass

MAIN = "主板"
CHINEXT = "创业板"
STAR = "科创板"
BEIJING = "北交所"
B_SHARES = "B股"

# exchange short code (SH/SZ/BJ) -> the exchange's name in the store
EXCHANGE_NAMES = {"SH": "SSE", "SZ": "SZSE", "BJ": "BSE"}


@dataclass(frozen=True)
class BoardRule:
    """A code prefix, the exchange and board its stocks belong to, and a note on the rule's source."""

    prefix: str
    exchange: str  # SH, SZ, BJ
    board: str
    note: str = ""


RULES: tuple[BoardRule, ...] = (
    BoardRule("600", "SH", MAIN),
    BoardRule("601", "SH", MAIN),
    BoardRule("603", "SH", MAIN),
    BoardRule("605", "SH", MAIN),
    BoardRule("688", "SH", STAR),
    BoardRule("689", "SH", STAR, "CDRs listed on STAR"),
    BoardRule("900", "SH", B_SHARES),
    BoardRule("000", "SZ", MAIN),
    BoardRule("001", "SZ", MAIN),
    BoardRule("002", "SZ", MAIN, "former SME board"),
    BoardRule("003", "SZ", MAIN, "former SME board"),
    BoardRule("300", "SZ", CHINEXT),
    BoardRule("301", "SZ", CHINEXT),
    BoardRule("302", "SZ", CHINEXT, "ChiNext codes from 2024"),
    BoardRule("200", "SZ", B_SHARES),
    BoardRule("92", "BJ", BEIJING, "BSE codes from 2024 (920xxx)"),
    BoardRule("43", "BJ", BEIJING, "NEEQ-era code"),
    BoardRule("83", "BJ", BEIJING, "NEEQ-era code"),
    BoardRule("87", "BJ", BEIJING, "NEEQ-era code"),
    BoardRule("88", "BJ", BEIJING, "NEEQ-era code"),
)
_BY_LENGTH = sorted(RULES, key=lambda rule: -len(rule.prefix))


def rule_of(code: str) -> BoardRule | None:
    """The rule of a 6-digit code, or None when no A-share exchange uses its prefix."""
    if len(code) != 6 or not code.isdigit():
        return None
    return next((rule for rule in _BY_LENGTH if code.startswith(rule.prefix)), None)
