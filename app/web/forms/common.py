"""What every form parser shares: the Parsed result, dates and numbers the way officials type them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from starlette.datastructures import FormData

from app.web.params import MAX_ID

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


_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
DATE_PARTS = ("day", "month", "year")


def date_values(name: str, value: date | None) -> dict[str, str]:
    """A date as the three boxes of a GOV.UK date input named `name` show it (empty boxes for None)."""
    parts = (str(value.day), str(value.month), str(value.year)) if value else ("", "", "")
    return {f"{name}-{part}": text for part, text in zip(DATE_PARTS, parts, strict=True)}


@dataclass(frozen=True)
class DateInput:
    """What a GOV.UK date input (day / month / year) gave: the date, or one GOV.UK error message keyed by the
    id of the first box to correct (the error summary links there), and the boxes as typed, to show again."""

    value: date | None
    errors: dict[str, str]
    values: dict[str, str]

    @property
    def empty(self) -> bool:
        return not any(self.values.values())


def parse_date_input(source: Mapping, name: str, label: str, *, field_id: str | None = None,
                     required: bool = True) -> DateInput:
    """Read `<name>-day`, `<name>-month` and `<name>-year`, with the GOV.UK date input pattern's messages:
    "Enter the start date", "Start date must include a month", "Year must include 4 numbers", "Start date must be a
    real date". `label` starts a sentence ("Start date"); `field_id` is the component's id (default `name`).
    Months may be typed as numbers or names (3, Mar, March); spaces are ignored."""
    field_id = field_id or name
    typed = {part: " ".join(str(source.get(f"{name}-{part}") or "").split()) for part in DATE_PARTS}
    values = {f"{name}-{part}": text for part, text in typed.items()}

    def error(part: str, message: str) -> DateInput:
        return DateInput(None, {f"{field_id}-{part}": message}, values)

    missing = [part for part in DATE_PARTS if not typed[part]]
    if len(missing) == 3:
        if required:
            return error("day", f"Enter the {label[0].lower()}{label[1:]}")
        return DateInput(None, {}, values)
    if missing:
        return error(missing[0], f"{label} must include a {' and '.join(missing)}")
    day, month, year = (text.replace(" ", "") for text in typed.values())
    month = str(_MONTHS.get(month.lower(), month))
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        return error("day" if not day.isdigit() else "month" if not month.isdigit() else "year",
                     f"{label} must be a real date")
    if len(year) != 4:
        return error("year", "Year must include 4 numbers")
    try:
        return DateInput(date(int(year), int(month), int(day)), {}, values)
    except (ValueError, OverflowError):  # OverflowError: a month or day of twenty digits
        return error("day", f"{label} must be a real date")


def parse_query_date(params: Mapping, name: str, label: str) -> DateInput:
    """An optional date filter in a query string: the date input's three boxes, or `<name>=YYYY-MM-DD` from a
    link or bookmark made before the boxes (or by a program). The values are the boxes to show again."""
    if any(params.get(f"{name}-{part}") for part in DATE_PARTS):
        return parse_date_input(params, name, label, required=False)
    text = (params.get(name) or "").strip()
    if not text:
        return DateInput(None, {}, date_values(name, None))
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return DateInput(None, {f"{name}-day": f"{label} must be a real date"}, date_values(name, None))
    return DateInput(value, {}, date_values(name, value))


def parse_int(value: object, default: int | None = None) -> int | None:
    """A whole number within ±MAX_ID (so it never overflows a database integer), or `default`."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if -MAX_ID <= number <= MAX_ID else default


def texts(form: FormData, *names: str) -> dict[str, str]:
    """The named fields as stripped strings ('' when missing; a file upload is not text)."""
    return {name: value.strip() if isinstance(value := form.get(name, ""), str) else "" for name in names}


BACK_PREFIXES = ("/compliance", "/manage/officials")  # the pages that list officials


def back_path(value: object) -> str | None:
    """Where a back link should return: the page of this site that led here (a list of officials, a dashboard),
    or None. Only a relative path is kept, never an open redirect: one leading slash, no scheme or host, no
    backslash, control character or `..`, and under BACK_PREFIXES."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 2000:
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or ".." in parts.path.split("/"):
        return None
    if not any(parts.path == prefix or parts.path.startswith(prefix + "/") for prefix in BACK_PREFIXES):
        return None
    return value
