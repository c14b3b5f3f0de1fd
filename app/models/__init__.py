"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from app.models.accounts import Official, OfficialIdentity, Role, SignInThrottle, UserSession
from app.models.compliance import Assignment, AuditEvent, DueRule, Exemption, Extension, Requirement
from app.models.learning import Attempt, AttemptEvent, AttemptState, Completion, EventKind, ModuleVersion
from app.models.organisation import Country, CountryRiskAssessment, Department, Posting, Unit
from app.models.outbox import OutboxMessage, OutboxStatus
from app.models.reporting import ApiToken, ComplianceCount, ComplianceCountState, ComplianceSnapshot

__all__ = [
    "ApiToken",
    "ComplianceCount",
    "ComplianceCountState",
    "ComplianceSnapshot",
    "Assignment",
    "Attempt",
    "AttemptEvent",
    "AttemptState",
    "AuditEvent",
    "Completion",
    "Country",
    "CountryRiskAssessment",
    "Department",
    "DueRule",
    "EventKind",
    "Exemption",
    "Extension",
    "ModuleVersion",
    "Official",
    "OfficialIdentity",
    "OutboxMessage",
    "OutboxStatus",
    "Posting",
    "Requirement",
    "Role",
    "SignInThrottle",
    "Unit",
    "UserSession",
]
