"""/admin/notifications' one filter: which status to list (GET, so a view can be shared)."""

from __future__ import annotations

from collections.abc import Mapping

from app.services.outbox_admin import STATUSES


def status_filter(query: Mapping) -> str | None:
    """The status asked for, or None for every message (an unknown status lists everything)."""
    status = str(query.get("status") or "")
    return status if status in STATUSES else None
