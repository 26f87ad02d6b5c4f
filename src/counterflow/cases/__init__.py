"""Cases: what analysts decide about hits and alerts, and the audit trail of who did what."""

from counterflow.cases.audit import AuditLog, Verification, verify
from counterflow.cases.decisions import Clearance, Decision, DecisionStore

__all__ = ["AuditLog", "Clearance", "Decision", "DecisionStore", "Verification", "verify"]
