"""Property-based tests of the projections: shuffled and duplicated streams project like the ordered one.

Streams come from `streams.py` (what the scheduler, the workers and operators really emit, including
cancels, operator and scheduler failures, failed attempts with retries, deletions, missed and skipped
fires, catalogue and metadata changes). Delivery may reorder and redeliver them: the read models must not
care.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.envelope import Event
from contracts.events import JobRegistered
from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from domain.read_model import fold_events
from tests.domain.streams import Clock
from tests.domain.streams import execution_streams
from tests.domain.streams import job_streams

PROPERTY_SETTINGS = settings(max_examples=400, deadline=None)


def project(events: list[Event], batch_size: int | None = None) -> tuple[ReadModelView, ReadModelChanges]:
    """Fold the events from nothing, in batches of `batch_size` (all at once when None)."""
    view, written = ReadModelView(), ReadModelChanges()
    size = batch_size or max(len(events), 1)
    for start in range(0, len(events), size):
        written.merge(fold_events(view, events[start : start + size]))
    return view, written


def redelivered(data: st.DataObject, stream: list[Event], keep_first: int = 0) -> list[Event]:
    """The stream with duplicates added, shuffled (its first `keep_first` events stay in front)."""
    duplicates = data.draw(st.lists(st.sampled_from(stream), max_size=len(stream)), label="duplicates")
    head, tail = stream[:keep_first], stream[keep_first:] + duplicates
    return head + data.draw(st.permutations(tail), label="delivery order")


def assert_same_read_models(delivered: list[Event], ordered: list[Event]) -> None:
    expected_view, expected_written = project(ordered)
    view, written = project(delivered)
    assert view.executions == expected_view.executions
    assert view.jobs == expected_view.jobs
    assert view.metadata == expected_view.metadata
    assert written.history == expected_written.history
    assert written.tombstones == expected_written.tombstones


@PROPERTY_SETTINGS
@given(data=st.data(), stream=execution_streams())
def test_an_execution_projects_alike_whatever_the_delivery_order(
    data: st.DataObject, stream: list[Event]
) -> None:
    assert_same_read_models(redelivered(data, stream), stream)


@PROPERTY_SETTINGS
@given(data=st.data(), stream=job_streams())
def test_a_job_and_its_metadata_project_alike_whatever_the_delivery_order(
    data: st.DataObject, stream: list[Event]
) -> None:
    assert isinstance(stream[0], JobRegistered)
    # The first registration precedes everything else about the job (see `project_job`).
    assert_same_read_models(redelivered(data, stream, keep_first=1), stream)


@st.composite
def system_streams(draw: st.DrawFn) -> list[Event]:
    """A job's catalogue events and several executions, interleaved as they happened."""
    clock = Clock()
    catalogue = draw(job_streams(clock=clock))
    executions = [
        draw(execution_streams(execution_id=f"e{n}", clock=clock)) for n in range(draw(st.integers(1, 4)))
    ]
    merged = sorted(
        [event for stream in [catalogue, *executions] for event in stream], key=lambda e: e.occurred_at
    )
    return [catalogue[0], *[event for event in merged if event is not catalogue[0]]]


@PROPERTY_SETTINGS
@given(data=st.data(), stream=system_streams())
def test_the_whole_read_model_projects_alike_whatever_the_delivery_order(
    data: st.DataObject, stream: list[Event]
) -> None:
    assert_same_read_models(redelivered(data, stream, keep_first=1), stream)


@PROPERTY_SETTINGS
@given(stream=system_streams(), batch_size=st.integers(min_value=1, max_value=7))
def test_folding_in_batches_gives_what_folding_at_once_gives(stream: list[Event], batch_size: int) -> None:
    """The live projector folds what has arrived, the replay folds large batches: same records."""
    view, written = project(stream, batch_size)
    expected_view, expected_written = project(stream)
    assert (view, written) == (expected_view, expected_written)


@PROPERTY_SETTINGS
@given(stream=system_streams())
def test_a_replayed_stream_changes_nothing(stream: list[Event]) -> None:
    """A redelivery of everything already applied (e.g. after a crash before the acknowledgement)."""
    view, _ = project(stream)
    again = fold_events(view, stream)
    assert not again.executions and not again.jobs and not again.metadata and not again.tombstones
