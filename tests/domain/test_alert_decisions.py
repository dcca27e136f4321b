"""The rules beyond failures, without I/O: partial runs, runs far longer than their own p95, no scheduler
leader, projector lag, dead letters; acknowledgements, operators' rule overrides, silences ended early."""

from __future__ import annotations

from contracts.alert_events import AlertRaised
from contracts.alert_events import AlertResolved
from contracts.alert_events import AlertRulesUpdated
from contracts.alert_events import AlertSilenced
from contracts.alert_events import AlertUnsilenced
from contracts.alert_events import IncidentAcknowledged
from contracts.alert_events import RuleOverride
from contracts.envelope import Event
from domain.alert_decisions import Observations
from domain.alert_decisions import decide
from domain.alert_decisions import evaluate
from domain.alert_decisions import reminders_due
from domain.alert_rules import AlertRules
from domain.alert_rules import JobRules
from domain.alert_rules import SystemRules
from domain.alert_state import AlertState
from tests.domain.alert_streams import JOB
from tests.domain.alert_streams import at
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import leader_heartbeat
from tests.domain.alert_streams import ran
from tests.domain.alert_streams import registered
from tests.domain.alert_streams import rejected
from tests.domain.alert_streams import started
from tests.domain.test_alert_state import live

RULES = AlertRules(default=JobRules(consecutive_failures=3))
P = "alerter:test"


def rules_of(alerts: list[Event]) -> list[tuple[str, str | None]]:
    return [(alert.type, getattr(alert, "rule", None)) for alert in alerts]


def fold(state: AlertState, alerts: list[Event]) -> list[Event]:
    for alert in alerts:
        state.apply(alert)
    return alerts


def test_a_partial_run_raises_its_own_incident_and_a_success_resolves_it() -> None:
    state = AlertState()
    emitted = live(state, [registered(), ran(10, 1, "partial"), ran(20, 1, "partial")])
    assert rules_of(emitted) == [("AlertRaised", "run_partial")]
    assert isinstance(emitted[0], AlertRaised)
    assert emitted[0].severity == "warning"
    assert "3 of 10 symbols not synced" in emitted[0].summary
    assert state.jobs[JOB].consecutive_failures == 0, "partial is not a failure"
    assert rules_of(live(state, [ran(30, 1)])) == [("AlertResolved", "run_partial")]


def test_a_run_over_three_times_its_own_p95_is_slow_until_it_ends() -> None:
    state = AlertState()
    live(state, [registered(), *(ran(100 * i, 10 + i % 3) for i in range(1, 21))])
    assert state.jobs[JOB].duration_p95() == 12
    live(state, [started(5000, "long")])
    assert evaluate(state, at(5000 + 36), RULES, P) == []  # 3 x 12 s: not over yet
    alerts = fold(state, evaluate(state, at(5000 + 37), RULES, P))
    assert rules_of(alerts) == [("AlertRaised", "run_slow")]
    assert isinstance(alerts[0], AlertRaised)
    assert alerts[0].execution_id == "long"
    assert alerts[0].since == at(5000)
    assert evaluate(state, at(5100), RULES, P) == []  # one incident while it holds
    ended = live(state, [finished("failed", 5200, execution_id="long")])
    assert ("AlertResolved", "run_slow") in rules_of(ended)


def test_no_duration_rule_before_enough_history_or_when_turned_off() -> None:
    state = AlertState()
    live(state, [registered(), *(ran(100 * i, 10) for i in range(1, 4)), started(1000, "x")])
    assert evaluate(state, at(5000), RULES, P) == []  # 3 runs are not a history
    live(state, [*(ran(2000 + 100 * i, 10) for i in range(1, 4))])
    off = AlertRules(default=JobRules(slow_factor=None))
    assert evaluate(state, at(5000), off, P) == []
    assert rules_of(evaluate(state, at(5000), RULES, P)) == [("AlertRaised", "run_slow")]


def test_no_leader_from_the_active_schedulers_heartbeats() -> None:
    state = AlertState()
    system = AlertRules(system=SystemRules(no_leader_after_s=60))
    observed = Observations(started_at=at(0))
    live(state, [leader_heartbeat(10), leader_heartbeat(20, active=False)])
    assert evaluate(state, at(70), system, P, observed) == []
    alerts = fold(state, evaluate(state, at(71), system, P, observed))
    assert rules_of(alerts) == [("AlertRaised", "no_leader")]
    assert isinstance(alerts[0], AlertRaised)
    assert (alerts[0].job_id, alerts[0].severity, alerts[0].since) == ("scheduler", "critical", at(10))
    assert live(state, [leader_heartbeat(90, active=False)], system) == []  # a standby is no leader
    assert rules_of(live(state, [leader_heartbeat(95)], system)) == [("AlertResolved", "no_leader")]


def test_no_leader_counts_from_the_alerters_start_when_no_heartbeat_was_seen() -> None:
    system = AlertRules(system=SystemRules(no_leader_after_s=60))
    observed = Observations(started_at=at(100))
    assert evaluate(AlertState(), at(160), system, P, observed) == []
    assert rules_of(evaluate(AlertState(), at(161), system, P, observed)) == [("AlertRaised", "no_leader")]


def test_projector_lag_raised_over_the_limit_and_resolved_when_caught_up() -> None:
    state = AlertState()
    system = AlertRules(system=SystemRules(no_leader_after_s=None, projector_lag_s=120))
    assert evaluate(state, at(10), system, P, Observations(at(0), projector_lag_s=119)) == []
    alerts = fold(state, evaluate(state, at(10), system, P, Observations(at(0), projector_lag_s=150)))
    assert rules_of(alerts) == [("AlertRaised", "projector_lag")]
    assert evaluate(state, at(20), system, P, Observations(at(0), projector_lag_s=160)) == []
    caught_up = evaluate(state, at(30), system, P, Observations(at(0), projector_lag_s=0.5))
    assert rules_of(caught_up) == [("AlertResolved", "projector_lag")]


def test_dead_letters_from_refused_commands_and_the_projector_resolve_after_a_quiet_time() -> None:
    state = AlertState()
    system = AlertRules(system=SystemRules(no_leader_after_s=None, dead_letter_quiet_s=600))
    emitted = live(state, [rejected(10), rejected(20)], system)
    assert rules_of(emitted) == [("AlertRaised", "dead_lettered")]
    assert "unknown job nope" in emitted[0].summary  # type: ignore[attr-defined]
    assert evaluate(state, at(619), system, P, Observations(at(0))) == []
    resolved = fold(state, evaluate(state, at(620), system, P, Observations(at(0))))
    assert rules_of(resolved) == [("AlertResolved", "dead_lettered")]
    projector = evaluate(state, at(700), system, P, Observations(at(0), new_dead_letters=2))
    assert rules_of(projector) == [("AlertRaised", "dead_lettered")]
    assert "2 event(s) dead-lettered by the projector" in projector[0].summary  # type: ignore[attr-defined]


def test_an_acknowledged_incident_gets_no_reminder_but_still_resolves() -> None:
    state = AlertState()
    emitted = live(state, [registered(), finished("failed", 10)])
    incident_id = emitted[0].incident_id  # type: ignore[attr-defined]
    state.apply(IncidentAcknowledged(producer="api:a", occurred_at=at(20), incident_id=incident_id,
                                     actor="admin", note="on it"))  # fmt: skip
    incident = state.open["run_failed", JOB]
    assert (incident.acknowledged_by, incident.acknowledged_at) == ("admin", at(20))
    assert reminders_due(state, at(100_000), 3600) == []
    assert [type(a) for a in live(state, [finished("success", 30)])] == [AlertResolved]


def test_operators_overrides_apply_over_the_settings_per_job_then_for_every_job() -> None:
    state = AlertState()
    state.apply(AlertRulesUpdated(producer="api:a", job_id=None, actor="admin",
                                  rules=RuleOverride(consecutive_failures=2, run_partial=False)))  # fmt: skip
    state.apply(AlertRulesUpdated(producer="api:a", job_id=JOB, actor="admin",
                                  rules=RuleOverride(run_failed=False, slow_factor=0)))  # fmt: skip
    job = RULES.for_job(JOB, state.overrides)
    assert (job.run_failed, job.run_partial, job.consecutive_failures, job.slow_factor) == (
        False, False, 2, None,
    )  # fmt: skip
    other = RULES.for_job("other", state.overrides)
    assert (other.run_failed, other.consecutive_failures, other.slow_factor) == (True, 2, 3.0)
    emitted = live(state, [registered(), finished("failed", 10), finished("failed", 20)])
    assert rules_of(emitted) == [("AlertRaised", "consecutive_failures")]
    assert decide(state, ran(30, 1, "partial"), RULES, P, at(30)) == []


def test_a_silence_ended_early_lets_the_channels_hear_again() -> None:
    state = AlertState()
    live(state, [registered(), finished("failed", 10)])
    incident = next(iter(state.open.values()))
    state.apply(AlertSilenced(producer="api:a", silence_id="s1", job_id=JOB, until=at(1000),
                              reason="maintenance", actor="admin"))  # fmt: skip
    assert state.silenced(incident, at(50))
    state.apply(AlertUnsilenced(producer="api:a", silence_id="s1", actor="admin"))
    assert not state.silenced(incident, at(50))
