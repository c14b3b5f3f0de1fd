"""What every form parser shares: the Parsed result, dates and numbers the way officials type them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from starlette.datastructures import FormData

T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    """What was typed (to show again), the errors by field id, and the typed value when there are none."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    data: T | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_date(text: str) -> date | None:
    """An ISO date (2025-09-03) or a UK one (03/09/2025); None when it is not a real date."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def parse_int(value: object, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def texts(form: FormData, *names: str) -> dict[str, str]:
    """The named fields as stripped strings ('' when missing; a file upload is not text)."""
    return {name: value.strip() if isinstance(value := form.get(name, ""), str) else "" for name in names}
