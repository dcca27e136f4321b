"""The decider's bounded memories keep the newest entries."""

from __future__ import annotations

from domain.scheduling.bounded import remembered


def test_a_key_set_again_becomes_the_newest_and_the_oldest_go_past_the_limit() -> None:
    memory = {"a": 1, "b": 2, "c": 3}
    assert list(remembered(memory, "a", 9, limit=3).items()) == [("b", 2), ("c", 3), ("a", 9)]
    assert list(remembered(memory, "d", 4, limit=3).items()) == [("b", 2), ("c", 3), ("d", 4)]
    assert memory == {"a": 1, "b": 2, "c": 3}, "the mapping given is not changed"
