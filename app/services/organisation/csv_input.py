"""Reading imported CSV files as people actually produce them (Excel, other locales), and what an import reports."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, insert
from sqlmodel import Session, select

from app.clock import utcnow
from app.models import AuditEvent, Country
from app.services.audit import Actor, snapshot


@dataclass(frozen=True)
class RowError:
    """A problem with one line of an imported file (line 1 is the header)."""

    line: int
    message: str


@dataclass
class ImportReport:
    """What an import found and did: problems, and what was (or, in a dry run, would be) added, changed and ended."""

    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    rows: int = 0
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "changed": len(self.changed), "ended": len(self.ended)}

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.ended)

    def error(self, line: int, message: str) -> None:
        self.errors.append(RowError(line, message))


class UnreadableCsv(ValueError):
    """The file stops being readable CSV at `line`: a cell past the csv module's size limit (usually a quote that
    is never closed, which swallows the rest of the file), or a NUL byte."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class CsvTable:
    """A file's normalised column names and its data rows, each with the line it starts on."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def decode(data: bytes | str) -> str:
    """UTF-8 (with or without a BOM), or Windows-1252 when the bytes are not valid UTF-8 (older Excel)."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.removeprefix("\ufeff")


def normalise_column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _delimiter(header_line: str) -> str:
    """The separator of the header line: Excel writes `;` where the locale's decimal mark is a comma."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes | str) -> CsvTable:
    """Parse a CSV file: encoding, BOM, CRLF and delimiter handled; blank lines skipped; cells stripped."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    line = 1
    try:
        header = next(reader, [])
        columns = [normalise_column(name) for name in header]
        rows: list[tuple[int, dict[str, str]]] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, {columns[i]: cell.strip() for i, cell in enumerate(cells) if i < len(columns)}))
            line = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            limit = f"{csv.field_size_limit():,}"
            raise UnreadableCsv(line, f"a cell is longer than {limit} characters: check that every quote mark (\") "
                                      "that opens a cell also closes it, and that no cell holds a whole document") from None
        raise UnreadableCsv(line, f"the file cannot be read as CSV from here ({exc})") from None
    return CsvTable(columns, rows)


def parse_date(value: str) -> date:
    """An ISO date (2025-09-03) or a British one (03/09/2025, 3/9/2025)."""
    value = value.strip()
    try:
        if len(value) == 10 and value[4] == "-":
            return date.fromisoformat(value)
        if found := _BRITISH_DATE.match(value):
            day, month, year = map(int, found.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise ValueError(f"bad date {value!r} (use YYYY-MM-DD or DD/MM/YYYY)")


_BRITISH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _fold(text: str) -> str:
    """Lower case without accents or punctuation, for comparing names."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


_NOISE = {"the", "of", "and"}
# Everyday English names that ISO and pycountry spell differently.
_ALIASES = {"turkey": "TR", "burma": "MM", "ivory coast": "CI", "uk": "GB", "great britain": "GB", "czech republic": "CZ"}


class CountryResolver:
    """Turns an ISO alpha-2 code or an English name into a code in the Country table; remembers each answer."""

    def __init__(self, session: Session) -> None:
        self.names = {code: name for code, name in session.exec(select(Country.code, Country.name))}
        self._by_name = {_fold(name): code for code, name in self.names.items()}
        self._cache: dict[str, str | None] = {}

    def resolve(self, text: str) -> str | None:
        if text not in self._cache:
            self._cache[text] = self._resolve(text.strip())
        return self._cache[text]

    def _resolve(self, text: str) -> str | None:
        if len(text) == 2 and text.upper() in self.names:
            return text.upper()
        folded = _fold(text)
        if folded in self._by_name:
            return self._by_name[folded]
        if folded in _ALIASES:
            return _ALIASES[folded]
        import pycountry

        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = self._fuzzy(text, folded)
        code = getattr(found, "alpha_2", None)
        return code if code in self.names else None

    @staticmethod
    def _fuzzy(text: str, folded: str) -> object | None:
        """pycountry's fuzzy search also matches regions inside countries; accept only a match on the country's own names."""
        import pycountry

        def names(country: object) -> list[str]:
            return [_fold(getattr(country, a, "") or "") for a in ("name", "official_name", "common_name")]

        words = set(folded.split()) - _NOISE
        for country in pycountry.countries:  # the same words in another order: "Congo, The Democratic Republic of the"
            if any(name and set(name.split()) - _NOISE == words for name in names(country)):
                return country
        try:
            candidates = pycountry.countries.search_fuzzy(text)
        except LookupError:
            return None
        return next((c for c in candidates[:3] if any(name and folded in name for name in names(c))), None)


class AuditBatch:
    """Audit events collected during an import and written in one statement (same shape as `audit.record`)."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.at = utcnow()
        self.rows: list[dict] = []

    def add(self, action: str, entity: str, entity_id: object, *, before: dict | None = None, after: dict | None = None) -> None:
        self.rows.append(
            {
                "at": self.at,
                "actor_id": self.actor.id,
                "actor_label": self.actor.label[:200],
                "action": action,
                "entity": entity,
                "entity_id": str(entity_id),
                "before": _json(before),
                "after": _json(after),
            }
        )

    def write(self, connection: Connection) -> None:
        if self.rows:
            connection.execute(insert(AuditEvent.__table__), self.rows)


def _json(values: dict | None) -> str | None:
    return None if values is None else json.dumps(snapshot(values), ensure_ascii=False, sort_keys=True)
