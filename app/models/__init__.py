"""Every table, imported here so SQLModel.metadata (and Alembic) sees them all."""

from app.models.accounts import Official, Role, UserSession
from app.models.learning import Attempt, AttemptEvent, AttemptState, Completion, EventKind, ModuleVersion

__all__ = [
    "Attempt",
    "AttemptEvent",
    "AttemptState",
    "Completion",
    "EventKind",
    "ModuleVersion",
    "Official",
    "Role",
    "UserSession",
]
