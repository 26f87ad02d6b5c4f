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
    from counterflow.cases.lifecycle import (
        Case,
        CaseView,
        Event,
        Evidence,
        HistoryCheck,
        add_evidence,
        approve,
        assign,
        close,
        comment,
        get_case,
        list_cases,
        mark_reported,
        open_case,
        propose,
        reopen,
        return_case,
        verify_history,
    )
    from counterflow.cases.users import (
        User,
        add_user,
        authenticate,
        disable_user,
        get_user,
        list_users,
    )

_LAZY = {
    "Case": "counterflow.cases.lifecycle",
    "CaseView": "counterflow.cases.lifecycle",
    "Evidence": "counterflow.cases.lifecycle",
    "Event": "counterflow.cases.lifecycle",
    "HistoryCheck": "counterflow.cases.lifecycle",
    "add_evidence": "counterflow.cases.lifecycle",
    "approve": "counterflow.cases.lifecycle",
    "assign": "counterflow.cases.lifecycle",
    "close": "counterflow.cases.lifecycle",
    "comment": "counterflow.cases.lifecycle",
    "get_case": "counterflow.cases.lifecycle",
    "list_cases": "counterflow.cases.lifecycle",
    "mark_reported": "counterflow.cases.lifecycle",
    "open_case": "counterflow.cases.lifecycle",
    "propose": "counterflow.cases.lifecycle",
    "reopen": "counterflow.cases.lifecycle",
    "return_case": "counterflow.cases.lifecycle",
    "verify_history": "counterflow.cases.lifecycle",
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
    "Case",
    "CaseStore",
    "CaseView",
    "Clearance",
    "Decision",
    "DecisionStore",
    "Event",
    "Evidence",
    "HistoryCheck",
    "Role",
    "User",
    "Verification",
    "add_evidence",
    "add_user",
    "approve",
    "assign",
    "authenticate",
    "check",
    "check_approval",
    "close",
    "comment",
    "disable_user",
    "get_case",
    "get_user",
    "list_cases",
    "list_users",
    "mark_reported",
    "may",
    "open_case",
    "propose",
    "reopen",
    "return_case",
    "verify",
    "verify_history",
]
