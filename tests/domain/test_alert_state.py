"""The alerter's fold and decisions, without I/O: incidents per (rule, job), resolution, staleness, replay."""

from __future__ import annotations

from contracts.alert_events import AlertNotified
from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import AlertSilenced
from contracts.envelope import Event
from domain.alert_decisions import decide
from domain.alert_decisions import evaluate
from domain.alert_decisions import reminders_due
from domain.alert_rules import AlertRules
from domain.alert_rules import JobRules
from domain.alert_state import AlertState
from tests.domain.alert_streams import JOB
from tests.domain.alert_streams import at
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import lost
from tests.domain.alert_streams import missed
from tests.domain.alert_streams import registered

RULES = AlertRules(default=JobRules(consecutive_failures=3))
P = "alerter:test"


def live(state: AlertState, events: list[Event], rules: AlertRules = RULES) -> list[Event]:
    """What the alerter does with each event: fold it, decide, fold the decisions. Returns the decisions."""
    emitted: list[Event] = []
    for event in events:
        state.apply(event)
        for alert in decide(state, event, rules, P, event.occurred_at):
            state.apply(alert)
            emitted.append(alert)
    return emitted


def test_a_failure_opens_one_incident_and_a_success_resolves_it() -> None:
    state = AlertState()
    emitted = live(state, [registered(), finished("failed", 10), finished("failed", 20)])
    assert [(a.type, getattr(a, "rule", None)) for a in emitted] == [("AlertRaised", "run_failed")]
    raised = emitted[0]
    assert isinstance(raised, AlertRaised)
    assert raised.job_name == "流水线自检"
    assert raised.since == at(10)
    assert "boom" in raised.summary
    resolved = live(state, [finished("success", 30)])
    assert [a.type for a in resolved] == ["AlertResolved"]
    assert state.open == {}


def test_consecutive_failures_counted_once_per_execution() -> None:
    state = AlertState()
    first = finished("failed", 10, execution_id="x1")
    emitted = live(state, [registered(), first, first, lost(11, "x1"), finished("failed", 20)])
    assert [getattr(a, "rule", None) for a in emitted] == ["run_failed"]
    emitted = live(state, [finished("failed", 30)])
    assert [getattr(a, "rule", None) for a in emitted] == ["consecutive_failures"]
    assert state.jobs[JOB].consecutive_failures == 3
    assert isinstance(emitted[0], AlertRaised)
    assert emitted[0].since == at(10)


def test_lost_and_timed_out_runs_are_failures_with_their_cause() -> None:
    state = AlertState()
    emitted = live(state, [registered(), lost(5, "x9")])
    assert isinstance(emitted[0], AlertRaised)
    assert emitted[0].summary.startswith("lost: worker lost")
    other = AlertState()
    emitted = live(other, [registered(), finished("failed", 5, error="timed out after 30 s")])
    assert isinstance(emitted[0], AlertRaised)
    assert emitted[0].summary.startswith("timed out")


def test_missed_fire_and_per_job_rules() -> None:
    rules = AlertRules(
        default=JobRules(), per_job={JOB: JobRules(run_failed=False, consecutive_failures=None)}
    )
    state = AlertState()
    emitted = live(state, [registered(), missed(10), missed(20), finished("failed", 30)], rules)
    assert [getattr(a, "rule", None) for a in emitted] == ["run_missed"]


def test_duplicate_decisions_have_the_same_ids() -> None:
    """A redelivered failure decided again (before its alert came back) names the same incident."""
    event = finished("failed", 10)
    first = decide(AlertState(), event, RULES, P, at(11))
    second = decide(AlertState(), event, RULES, P, at(12))
    assert [a.message_id for a in first] == [a.message_id for a in second]


def test_stale_data_with_an_injected_clock() -> None:
    rules = AlertRules(per_job={JOB: JobRules(stale_after_s=600)})
    state = AlertState()
    live(state, [registered(seconds=0), finished("success", 100)], rules)
    assert evaluate(state, at(700), rules, P) == []
    alerts = evaluate(state, at(701), rules, P)
    assert [(a.type, getattr(a, "rule", None)) for a in alerts] == [("AlertRaised", "stale")]
    assert isinstance(alerts[0], AlertRaised)
    assert alerts[0].since == at(100)
    state.apply(alerts[0])
    assert evaluate(state, at(800), rules, P) == []  # one incident while it holds
    resolved = live(state, [finished("success", 900)], rules)
    assert [getattr(a, "rule", None) for a in resolved] == ["stale"]
    assert evaluate(state, at(1000), rules, P) == []


def test_a_job_that_never_succeeded_is_stale_from_when_it_was_first_seen() -> None:
    rules = AlertRules(per_job={JOB: JobRules(stale_after_s=60)})
    state = AlertState()
    state.apply(registered(seconds=0))
    assert [getattr(a, "rule", None) for a in evaluate(state, at(61), rules, P)] == ["stale"]


def test_reminders_only_at_the_interval() -> None:
    state = AlertState()
    emitted = live(state, [registered(), finished("failed", 10)])
    incident_id = emitted[0].incident_id  # type: ignore[attr-defined]
    assert reminders_due(state, at(10 + 3599), 3600) == []
    assert [i.incident_id for i in reminders_due(state, at(10 + 3600), 3600)] == [incident_id]
    notified = AlertNotified(producer=P, occurred_at=at(4000), incident_ids=(incident_id,),
                             notice="reminder", channel_type="json", outcome="sent", attempts=1)  # fmt: skip
    state.apply(notified)
    assert reminders_due(state, at(4000 + 3599), 3600) == []


def test_silences_match_job_and_rule_until_they_end() -> None:
    state = AlertState()
    live(state, [registered(), finished("failed", 10)])
    incident = next(iter(state.open.values()))
    state.apply(AlertSilenced(producer="api:a", silence_id="s1", job_id=JOB, rule=None, until=at(100),
                              reason="maintenance", actor="admin"))  # fmt: skip
    assert state.silenced(incident, at(50))
    assert not state.silenced(incident, at(100))
    state.apply(AlertSilenced(producer="api:a", silence_id="s2", occurred_at=at(150), job_id=None,
                              rule="stale", until=at(500), reason="x", actor="admin"))  # fmt: skip
    assert not state.silenced(incident, at(200))
    assert set(state.silences) == {"s2"}, "a silence over when another is given is forgotten"


def test_replaying_the_log_rebuilds_the_same_state() -> None:
    """The live alerter's log (run events and the alerts it emitted) folded from scratch gives its state."""
    state = AlertState()
    stream: list[Event] = [registered(), registered("other", name="其他"), finished("failed", 10),
                           finished("failed", 12, job_id="other"), finished("failed", 20),
                           finished("success", 30, job_id="other")]  # fmt: skip
    log: list[Event] = []
    for event in stream:
        log.append(event)
        log.extend(live(state, [event]))
    replayed = AlertState()
    for event in log + log:  # every event twice: a replay after redeliveries
        replayed.apply(event)
    assert replayed.open.keys() == state.open.keys() == {("run_failed", JOB)}
    assert {k: v.incident_id for k, v in replayed.open.items()} == {
        k: v.incident_id for k, v in state.open.items()
    }
    assert replayed.jobs[JOB].consecutive_failures == state.jobs[JOB].consecutive_failures == 2
    assert replayed.resolved_count == state.resolved_count == 1
    assert any(isinstance(e, AlertResolved) for e in log)
