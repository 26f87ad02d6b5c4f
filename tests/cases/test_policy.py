"""Who may do what: the role ladder, disabled users, and the four-eyes rule."""

from __future__ import annotations

import pytest

from counterflow.cases import FOUR_EYES, Action, Role, check, check_approval, may
from counterflow.errors import ConfigError, PermissionDeniedError


def test_the_roles_are_a_ladder() -> None:
    assert [r.value for r in Role] == ["screen", "analyst", "reviewer", "admin"]
    expected = {
        Role.SCREEN: {Action.SCREEN},
        Role.ANALYST: {
            Action.SCREEN,
            Action.READ,
            Action.OPEN,
            Action.WORK,
            Action.PROPOSE,
            Action.DISMISS,
        },
    }
    expected[Role.REVIEWER] = expected[Role.ANALYST] | {
        Action.APPROVE,
        Action.RETURN,
        Action.REOPEN,
    }
    expected[Role.ADMIN] = set(Action)
    for role, allowed in expected.items():
        assert {a for a in Action if may(role, a)} == allowed, role


def test_a_role_refusal_says_who_what_and_what_is_needed() -> None:
    check("amira", "analyst", Action.PROPOSE)
    with pytest.raises(PermissionDeniedError) as caught:
        check("amira", "analyst", Action.APPROVE)
    assert str(caught.value) == (
        "user 'amira' is an analyst and may not approve: that needs the reviewer role or above"
    )
    with pytest.raises(PermissionDeniedError, match="needs the admin role"):
        check("rania", Role.REVIEWER, "manage users")
    with pytest.raises(PermissionDeniedError, match="'gateway' is a screen"):
        check("gateway", "screen", Action.READ)
    with pytest.raises(ConfigError, match="no role"):
        check("amira", "boss", Action.READ)


def test_a_disabled_user_may_do_nothing() -> None:
    for action in Action:
        assert not may(Role.ADMIN, action, active=False)
        with pytest.raises(PermissionDeniedError, match="disabled"):
            check("omar", Role.ADMIN, action, active=False)
    with pytest.raises(PermissionDeniedError, match="disabled"):
        check_approval("rania", Role.REVIEWER, proposer="amira", active=False)


def test_a_reviewer_approves_someone_elses_proposal() -> None:
    check_approval("rania", Role.REVIEWER, proposer="amira", assignees=["amira", "yusuf"])
    check_approval("omar", Role.ADMIN, proposer="rania", assignees=[])


def test_nobody_approves_their_own_proposal() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        check_approval("rania", Role.REVIEWER, proposer="rania")
    message = str(caught.value)
    assert message.startswith(FOUR_EYES) and "made this proposal" in message
    assert "another reviewer must approve it" in message
    # not by spelling the name differently either
    with pytest.raises(PermissionDeniedError, match=FOUR_EYES):
        check_approval("Rania ", Role.ADMIN, proposer="rania")


def test_nobody_approves_a_case_they_worked_as_assignee() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        check_approval("rania", Role.REVIEWER, proposer="amira", assignees=["amira", "RANIA"])
    assert str(caught.value).startswith(FOUR_EYES)
    assert "worked this case as an assignee" in str(caught.value)


def test_an_analyst_cannot_approve_even_someone_elses_proposal() -> None:
    with pytest.raises(PermissionDeniedError, match="needs the reviewer role"):
        check_approval("amira", Role.ANALYST, proposer="yusuf")
