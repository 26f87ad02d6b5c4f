"""Who may do what to a case: the roles, and the four-eyes rule. Pure functions of plain values.

The roles are a ladder; each one may do what the one below it may:

- ``screen`` (a machine, through an API key): screen names (``/match``) and nothing else;
- ``analyst``: read; open and work cases (assign, comment, add evidence); propose a decision;
- ``reviewer``: also approve or return a proposal, and reopen a closed case;
- ``admin``: also manage users and API keys.

**The four-eyes rule**: nobody approves a proposal they made, or a case they worked as an
assignee. A reviewer who proposed hands approval to another reviewer. The rule is enforced here,
in the library, so the command line, the HTTP API and the web UI all meet it alike.

A disabled user can do nothing: every check refuses them. Every refusal is a
:class:`~counterflow.errors.PermissionDeniedError` whose message says who, what, and why.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from counterflow.errors import ConfigError, PermissionDeniedError

FOUR_EYES = "the four-eyes rule"


class Role(StrEnum):
    """A role; each may do everything the roles before it may."""

    SCREEN = "screen"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """This role may do what ``needed`` may."""
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, value: Role | str) -> Role:
        try:
            return cls(str(value).strip().lower())
        except ValueError as exc:
            choices = ", ".join(r.value for r in cls)
            raise ConfigError(f"no role {value!r}: the roles are {choices}") from exc


#: the roles a person can have (``screen`` is for machines: an API key, not a user)
USER_ROLES = (Role.ANALYST, Role.REVIEWER, Role.ADMIN)


class Action(StrEnum):
    """What a user can ask to do."""

    SCREEN = "screen"
    READ = "read"
    OPEN = "open"
    WORK = "work"  # assign, comment, add evidence
    PROPOSE = "propose"
    DISMISS = "dismiss"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"
    MANAGE_USERS = "manage users"
    MANAGE_KEYS = "manage keys"


#: the least role that may do each action
NEEDS: dict[Action, Role] = {
    Action.SCREEN: Role.SCREEN,
    Action.READ: Role.ANALYST,
    Action.OPEN: Role.ANALYST,
    Action.WORK: Role.ANALYST,
    Action.PROPOSE: Role.ANALYST,
    Action.DISMISS: Role.ANALYST,
    Action.APPROVE: Role.REVIEWER,
    Action.RETURN: Role.REVIEWER,
    Action.REOPEN: Role.REVIEWER,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.MANAGE_KEYS: Role.ADMIN,
}


def same_user(a: str, b: str) -> bool:
    """Two spellings of one user name ("Alice" and "alice ", composed or not)."""
    return user_key(a) == user_key(b)


def user_key(name: str) -> str:
    """A user name folded for comparison: NFC, case-folded, trimmed."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def may(role: Role | str, action: Action | str, *, active: bool = True) -> bool:
    """Whether ``role`` may do ``action`` (a disabled user may do nothing)."""
    return active and Role.parse(role).allows(NEEDS[Action(action)])


def check(actor: str, role: Role | str, action: Action | str, *, active: bool = True) -> None:
    """Refuse ``actor`` (a user with ``role``) when they may not do ``action``."""
    action = Action(action)
    if not active:
        raise PermissionDeniedError(f"user {actor!r} is disabled and may not {action}")
    role = Role.parse(role)
    needed = NEEDS[action]
    if not role.allows(needed):
        raise PermissionDeniedError(
            f"user {actor!r} is {_article(role)} {role} and may not {action}: "
            f"that needs the {needed} role or above"
        )


def check_approval(
    actor: str,
    role: Role | str,
    *,
    proposer: str,
    assignees: Iterable[str] = (),
    active: bool = True,
) -> None:
    """Refuse ``actor`` approving a proposal made by ``proposer`` on a case whose assignees
    (everyone who ever worked it as assignee) are ``assignees``: the role must allow it, and
    :data:`FOUR_EYES` must hold."""
    check(actor, role, Action.APPROVE, active=active)
    if same_user(actor, proposer):
        raise PermissionDeniedError(
            f"{FOUR_EYES}: {actor!r} made this proposal and may not approve it; "
            "another reviewer must approve it"
        )
    if any(same_user(actor, assignee) for assignee in assignees):
        raise PermissionDeniedError(
            f"{FOUR_EYES}: {actor!r} worked this case as an assignee and may not approve "
            "its proposal; another reviewer must approve it"
        )


def _article(role: Role) -> str:
    return "an" if role.value[0] in "aeiou" else "a"
