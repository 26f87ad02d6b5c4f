"""Cases: what analysts decide about hits and alerts, and the audit trail of who did what.

The case store and its users (SQLAlchemy, Alembic, argon2) load on first use, so that
commands which never touch them start no slower for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from counterflow.cases.audit import AuditLog, Verification, verify
from counterflow.cases.decisions import Clearance, Decision, DecisionStore
from counterflow.cases.policy import FOUR_EYES, Action, Role, check, check_approval, may

if TYPE_CHECKING:
    from counterflow.cases.db import CaseStore
    from counterflow.cases.users import (
        User,
        add_user,
        authenticate,
        disable_user,
        get_user,
        list_users,
    )

_LAZY = {
    "CaseStore": "counterflow.cases.db",
    "User": "counterflow.cases.users",
    "add_user": "counterflow.cases.users",
    "authenticate": "counterflow.cases.users",
    "disable_user": "counterflow.cases.users",
    "get_user": "counterflow.cases.users",
    "list_users": "counterflow.cases.users",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FOUR_EYES",
    "Action",
    "AuditLog",
    "CaseStore",
    "Clearance",
    "Decision",
    "DecisionStore",
    "Role",
    "User",
    "Verification",
    "add_user",
    "authenticate",
    "check",
    "check_approval",
    "disable_user",
    "get_user",
    "list_users",
    "may",
    "verify",
]
