"""The concern state machine: who may do what, from which state, and where it leads.

The table below is written out by hand from the lifecycle described in DOMAIN.md (not
copied from ``RULES``), so a change to the rules has to be a deliberate change here too.
"""
from __future__ import annotations

import pytest

from handlers.lifecycle import FINAL, OPEN, RULES, Refused, Role, State, check
from handlers.texts import Word

S = State
_OPEN = {S.REPORTED, S.CLAIMED, S.DELIBERATING, S.DECIDED, S.NOTICE, S.IN_PROGRESS, S.REOPENED}

#: action → (states it may start from, state it leads to (None = unchanged), least role)
EXPECTED: dict[str, tuple[set[State], State | None, Role]] = {
    "claim": ({S.REPORTED, S.REOPENED}, S.CLAIMED, Role.MEMBER),
    "size": (_OPEN, None, Role.MEMBER),
    "category": (_OPEN, None, Role.MEMBER),
    "deliberate": ({S.CLAIMED}, S.DELIBERATING, Role.MEMBER),
    "poll_closed": ({S.DELIBERATING}, None, Role.SYSTEM),
    "no_quorum": ({S.DELIBERATING}, S.CLAIMED, Role.SYSTEM),
    "decide": ({S.CLAIMED, S.DELIBERATING}, S.DECIDED, Role.MEMBER),
    "publish": ({S.DECIDED}, S.NOTICE, Role.MEMBER),
    "notice_done": ({S.NOTICE}, S.DECIDED, Role.SYSTEM),
    "notice_failed": ({S.NOTICE}, S.CLAIMED, Role.SYSTEM),
    "repoll": ({S.CLAIMED, S.DELIBERATING, S.NOTICE}, None, Role.COORDINATOR),
    "republish": ({S.CLAIMED}, S.NOTICE, Role.COORDINATOR),
    "quorum": ({S.DELIBERATING, S.NOTICE}, None, Role.COORDINATOR),
    "assign": ({S.DECIDED, S.IN_PROGRESS}, S.IN_PROGRESS, Role.MEMBER),
    "progress": ({S.DECIDED, S.IN_PROGRESS}, S.IN_PROGRESS, Role.MEMBER),
    "resolve": ({S.DECIDED, S.IN_PROGRESS}, S.RESOLVED, Role.MEMBER),
    "close": ({S.RESOLVED}, S.CLOSED, Role.RESIDENT),
    "survey_reopen": ({S.RESOLVED, S.CLOSED}, S.REOPENED, Role.RESIDENT),
    "reopen": ({S.RESOLVED, S.CLOSED, S.REJECTED}, S.REOPENED, Role.COORDINATOR),
    # only open concerns are converted: a resolved or closed one is reopened first
    "convert": (_OPEN, S.CONVERTED, Role.COORDINATOR),
    "reject": ({S.REPORTED, S.CLAIMED, S.REOPENED, S.DELIBERATING}, S.REJECTED, Role.COORDINATOR),
    "withdraw": ({S.REPORTED, S.CLAIMED, S.REOPENED}, S.WITHDRAWN, Role.RESIDENT),
    "support": (_OPEN, None, Role.RESIDENT),
    "comment": (_OPEN | {S.RESOLVED}, None, Role.RESIDENT),
}
REOPENING = {"reopen", "survey_reopen"}

LEGAL = [(a, s) for a, (sources, _, _) in EXPECTED.items() for s in sorted(sources)]
ILLEGAL = [(a, s) for a, (sources, _, _) in EXPECTED.items() for s in State if s not in sources]
GATED = [a for a, (_, _, role) in EXPECTED.items() if role > Role.RESIDENT]
MEMBER_ACTIONS = [a for a, (_, _, role) in EXPECTED.items() if role == Role.MEMBER]


def test_every_action_is_covered_with_its_target_and_role():
    assert set(RULES) == set(EXPECTED)
    for action, (_, target, role) in EXPECTED.items():
        assert (RULES[action].target, RULES[action].role) == (target, role), action


def test_open_and_final_partition():
    assert OPEN == _OPEN
    assert FINAL == {S.CLOSED, S.CONVERTED, S.REJECTED, S.WITHDRAWN}
    assert not OPEN & FINAL


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_legal_transition_lands_on_its_target(action, state):
    _, target, role = EXPECTED[action]
    assert check(action, state, role) == (target or state)


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_state_may_be_given_as_its_string_value(action, state):
    _, target, role = EXPECTED[action]
    assert check(action, state.value, role) == (target or state)


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_illegal_source_state_is_refused(action, state):
    with pytest.raises(Refused) as refused:
        check(action, state, Role.SYSTEM)
    assert refused.value.key == "refused.state"
    assert refused.value.params == {"number": None, "state_name": Word("state", state.value),
                                    "action_name": Word("action", action)}


@pytest.mark.parametrize("action", GATED)
def test_role_below_the_least_role_is_refused(action):
    sources, _, role = EXPECTED[action]
    below = max(r for r in Role if r < role)
    with pytest.raises(Refused) as refused:
        check(action, sorted(sources)[0], below)
    assert refused.value.key == "refused.role"
    assert refused.value.params == {"action_name": Word("action", action),
                                    "role_name": Word("role", role.name.lower())}


@pytest.mark.parametrize("action", GATED)
def test_role_is_checked_before_state(action):
    sources, _, _ = EXPECTED[action]
    wrong_state = next(s for s in State if s not in sources)
    with pytest.raises(Refused) as refused:
        check(action, wrong_state, Role.RESIDENT)
    assert refused.value.key == "refused.role"


def test_resident_trying_to_claim_is_told_it_is_a_members_action():
    with pytest.raises(Refused) as refused:
        check("claim", S.CLOSED, Role.RESIDENT)
    assert refused.value.key == "refused.role"
    assert refused.value.params["role_name"] == Word("role", "member")


@pytest.mark.parametrize("action", MEMBER_ACTIONS)
@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinator_and_admin_may_do_member_actions(action, role):
    sources, target, _ = EXPECTED[action]
    state = sorted(sources)[0]
    assert check(action, state, role) == (target or state)


@pytest.mark.parametrize("action", ["poll_closed", "no_quorum"])
def test_poll_outcomes_are_for_the_system_only(action):
    with pytest.raises(Refused) as refused:
        check(action, S.DELIBERATING, Role.ADMIN)
    assert refused.value.key == "refused.role"


@pytest.mark.parametrize("state", sorted(FINAL))
def test_final_states_accept_nothing_but_a_reopen(state):
    accepted = set()
    for action in RULES:
        try:
            accepted.add((action, check(action, state, Role.SYSTEM)))
        except Refused:
            pass
    assert {action for action, _ in accepted} <= REOPENING
    assert all(target == S.REOPENED for _, target in accepted)


@pytest.mark.parametrize(("state", "reopeners"), [
    (S.CLOSED, {"reopen", "survey_reopen"}),
    (S.REJECTED, {"reopen"}),
    (S.CONVERTED, set()),
    (S.WITHDRAWN, set()),
])
def test_which_final_states_can_be_reopened(state, reopeners):
    for action in REOPENING:
        if action in reopeners:
            assert check(action, state, Role.COORDINATOR) == S.REOPENED
        else:
            with pytest.raises(Refused):
                check(action, state, Role.COORDINATOR)


def test_a_refused_check_changes_nothing_and_can_be_repeated():
    for _ in range(2):
        with pytest.raises(Refused):
            check("resolve", S.REPORTED, Role.MEMBER)
    assert check("claim", S.REPORTED, Role.MEMBER) == S.CLAIMED


@pytest.mark.parametrize(("names", "expected"), [
    ({"member", "resident"}, Role.MEMBER),
    (frozenset({"member", "resident"}), Role.MEMBER),
    ({"coordinator", "member"}, Role.COORDINATOR),
    ({"admin", "resident"}, Role.ADMIN),
    ({"resident"}, Role.RESIDENT),
    (set(), Role.RESIDENT),
    ({"Member"}, Role.MEMBER),
    ({"chairman"}, Role.RESIDENT),
    ({"chairman", "member"}, Role.MEMBER),
    ({"委员", "resident"}, Role.RESIDENT),
])
def test_role_of_takes_the_highest_known_role(names, expected):
    assert Role.of(names) == expected


def test_roles_rise_in_order():
    assert Role.RESIDENT < Role.MEMBER < Role.COORDINATOR < Role.ADMIN < Role.SYSTEM
