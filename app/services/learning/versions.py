"""Which module versions have been served, read straight from a database URL (for the linter's
`version-not-bumped` check, which runs before, or without, the platform)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.db import make_engine
from app.models import ModuleVersion


def recorded_versions(database_url: str) -> list[tuple[str, str, str]]:
    """(module id, version, content hash) of each published version; none if there is no database yet."""
    try:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            if not Path(url.database).exists():
                return []  # connecting would create an empty file
        engine = make_engine(database_url)
        try:
            with engine.connect() as connection:
                if not inspect(connection).has_table(ModuleVersion.__tablename__):
                    return []
                columns = (ModuleVersion.module_id, ModuleVersion.version, ModuleVersion.content_hash)
                return [tuple(row) for row in connection.execute(select(*columns))]
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError):
        return []
