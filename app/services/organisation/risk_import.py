"""Importing a source's list of at-risk countries: the Early Warning Project's published CSV, or a simple list."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from app.clock import today as utc_today
from app.models import CountryRiskAssessment
from app.services.audit import Actor
from app.services.organisation.assignments import recompute_countries
from app.services.organisation.csv_input import (
    AuditBatch,
    CountryResolver,
    CsvTable,
    ImportReport,
    RowError,
    UnreadableCsv,
    read_table,
)

EWP_TOP = 30  # the Early Warning Project treats its top 30 as high risk
RISK_COLUMN = re.compile(r"^risk\.(\d{4})and(\d{4})\.from(\d{4})$")
RANK_COLUMN = re.compile(r"^rank\.(\d{4})and(\d{4})\.from(\d{4})$")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
# Correlates of War state numbers with ISO 3166-1 alpha-2 codes; provenance and special cases in data/README.md.
COW_STATES = "data/cow_states.csv"


@dataclass(frozen=True)
class Assessment:
    line: int
    country_code: str
    at_risk: bool
    level: str


@cache
def cow_states() -> dict[int, str]:
    """The shipped table of Correlates of War states: ccode to ISO 3166-1 alpha-2 (read once; the file never changes)."""
    with resources.files("app.services.organisation").joinpath(COW_STATES).open(encoding="utf-8", newline="") as f:
        return {int(row["ccode"]): row["iso2"] for row in csv.DictReader(f) if row["iso2"]}


def cow_to_iso2(codes: list[int]) -> dict[int, str | None]:
    """Correlates of War state numbers to ISO 3166-1 alpha-2; None for a code with no current state (e.g. 260, West Germany)."""
    table = cow_states()
    return {code: table.get(code) for code in codes}


def date_in_name(filename: str) -> date | None:
    """The publication date in a file name: final_forecasts_data_3Sep2025.csv, or an ISO date."""
    if found := re.search(r"(\d{4}-\d{2}-\d{2})", filename):
        return date.fromisoformat(found.group(1))
    if found := re.search(r"(\d{1,2})([A-Za-z]{3})[A-Za-z]*(\d{4})", filename):
        try:
            return datetime.strptime("".join(found.groups()).title(), "%d%b%Y").date()
        except ValueError:
            return None
    return None


def import_risk(
    session: Session,
    data: bytes | str,
    *,
    source: str,
    filename: str = "risk.csv",
    dry_run: bool = False,
    top: int = EWP_TOP,
    edition: str | None = None,
    assessed_on: date | None = None,
    today: date | None = None,
    actor: Actor | None = None,
) -> ImportReport:
    """Read a risk list, compare it with the source's current assessments, and (unless a dry run) record the differences.
    The list is complete for its source: a country it no longer flags is un-flagged. The caller commits."""
    report = ImportReport()
    try:
        table = read_table(data)
    except UnreadableCsv as problem:
        report.error(problem.line, problem.message)
        return report
    report.rows = len(table.rows)
    source = source.strip()
    if not source or len(source) > 200:
        report.error(0, "--source must name the source (at most 200 characters)")
    assessed_on = assessed_on or date_in_name(filename)
    if assessed_on is None:
        report.error(0, "no assessment date: pass --date YYYY-MM-DD (or put the date in the file name)")
    resolver = CountryResolver(session)
    risk_columns = [c for c in table.columns if RISK_COLUMN.match(c)]
    if "ccode" in table.columns and risk_columns:
        found, derived = _read_ewp(table, resolver, report, top)
        edition = edition or derived
    elif "country" in table.columns and "at_risk" in table.columns:
        found = _read_simple(table, resolver, report)
    else:
        report.error(1, "unrecognised columns: expected the Early Warning Project's (ccode, risk.<years>…, rank.<years>…) "
                        "or country, at_risk and optional level")
        return report
    if report.errors:
        return report
    edition = (edition or "").strip()[:100]
    current = {a.country_code: a for a in session.exec(select(CountryRiskAssessment).where(
        CountryRiskAssessment.source == source, CountryRiskAssessment.superseded_at.is_(None)))}
    wanted: list[Assessment] = []
    for assessment in found.values():
        previous = current.get(assessment.country_code)
        if previous is not None and (previous.at_risk, previous.level, previous.edition, previous.assessed_on) == (
            assessment.at_risk, assessment.level, edition, assessed_on
        ):
            continue
        wanted.append(assessment)
        name = resolver.names[assessment.country_code]
        flag = "at risk" if assessment.at_risk else "not at risk"
        label = f"{name}: {flag}" + (f" ({assessment.level})" if assessment.level else "")
        if previous is None:
            report.added.append(label)
        else:
            report.changed.append(f"{label}, was {'at risk' if previous.at_risk else 'not at risk'}" + (f" ({previous.level})" if previous.level else ""))
    for code, previous in current.items():  # flagged before, absent from this list: un-flag
        if code not in found and previous.at_risk:
            wanted.append(Assessment(0, code, False, "not listed"))
            report.ended.append(f"{resolver.names.get(code, code)}: no longer listed, not at risk")
    if not dry_run:
        if wanted:
            _apply(session, wanted, current, source, edition, assessed_on, actor or Actor(None, f"import risk {filename}"), today or utc_today())
        report.applied = True
    return report


def _read_ewp(table: CsvTable, resolver: CountryResolver, report: ImportReport, top: int) -> tuple[dict[str, Assessment], str]:
    """The newest forecast window's risk and rank columns; countries by Correlates of War code, not by EWP's names."""
    window = max(tuple(map(int, RISK_COLUMN.match(c).groups())) for c in table.columns if RISK_COLUMN.match(c))
    risk_column = next(c for c in table.columns if (m := RISK_COLUMN.match(c)) and tuple(map(int, m.groups())) == window)
    ranks = sorted((int(m.group(3)), c) for c in table.columns if (m := RANK_COLUMN.match(c)) and (int(m.group(1)), int(m.group(2))) == window[:2])
    rank_column = ranks[-1][1] if ranks else None
    edition = f"{window[0]}-{str(window[1])[-2:]}"
    scored: list[tuple[float, int, int, str]] = []  # (risk, rank, line, ccode)
    for line, row in table.rows:
        try:
            risk = float(row.get(risk_column, ""))
        except ValueError:
            report.error(line, f"{risk_column}: not a number: {row.get(risk_column, '')!r}")
            continue
        try:
            rank = int(float(row[rank_column])) if rank_column else 0
            ccode = int(float(row.get("ccode", "")))
        except ValueError:
            report.error(line, f"bad ccode or {rank_column}: {row.get('ccode')!r}, {row.get(rank_column)!r}")
            continue
        scored.append((risk, rank, line, ccode))
    if not rank_column:  # rank by risk, highest first
        scored = [(risk, i + 1, line, ccode) for i, (risk, _, line, ccode) in enumerate(sorted(scored, key=lambda s: -s[0]))]
    iso = cow_to_iso2(sorted({s[3] for s in scored}))
    found: dict[str, Assessment] = {}
    names = {line: row.get("ewp_name", "") for line, row in table.rows}
    for _risk, rank, line, ccode in sorted(scored, key=lambda s: s[1]):
        code = iso.get(ccode)
        if code not in resolver.names:
            report.warnings.append(_skipped(line, names[line], ccode, rank, top))
            continue
        if code in found:
            report.error(line, f"ccode {ccode} is the same country as line {found[code].line}")
            continue
        found[code] = Assessment(line, code, rank <= top, f"rank {rank} of {len(scored)}")
    return found, edition


def _skipped(line: int, name: str, ccode: int, rank: int, top: int) -> RowError:
    note = f" (ranked {rank}, in the top {top}: it cannot be flagged)" if rank <= top else ""
    return RowError(line, f"skipped {name or 'a country'} (ccode {ccode}): no ISO 3166-1 country for it{note}")


def _read_simple(table: CsvTable, resolver: CountryResolver, report: ImportReport) -> dict[str, Assessment]:
    found: dict[str, Assessment] = {}
    for line, row in table.rows:
        code = resolver.resolve(row.get("country", ""))
        flag = row.get("at_risk", "").lower()
        level = row.get("level", "")
        if code is None:
            report.error(line, f"unknown country {row.get('country', '')!r}")
        if flag not in YES | NO:
            report.error(line, f"at_risk must be yes or no, not {row.get('at_risk', '')!r}")
        if len(level) > 40:
            report.error(line, "level is longer than 40 characters")
        if code and code in found:
            report.error(line, f"{resolver.names[code]} is already on line {found[code].line}")
        elif code and flag in YES | NO:
            found[code] = Assessment(line, code, flag in YES, level)
    return found


def _apply(session: Session, wanted: list[Assessment], current: dict, source: str, edition: str, assessed_on: date,
           actor: Actor, today: date) -> None:
    session.flush()
    conn = session.connection()
    audit = AuditBatch(actor)
    table = CountryRiskAssessment.__table__
    superseded = [current[a.country_code] for a in wanted if a.country_code in current]
    if superseded:
        conn.execute(update(table).where(table.c.id == bindparam("rid")).values(superseded_at=audit.at),
                     [{"rid": previous.id} for previous in superseded])
    rows = [{"country_code": a.country_code, "at_risk": a.at_risk, "level": a.level, "source": source, "edition": edition,
             "assessed_on": assessed_on, "set_by_id": None, "set_by_label": actor.label[:200], "created_at": audit.at,
             "superseded_at": None} for a in wanted]
    ids = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    for assessment_id, row in zip(ids, rows):
        previous = current.get(row["country_code"])
        before = previous.model_dump() if previous is not None else None
        audit.add("risk.assess", "country", row["country_code"], before=before, after={"id": assessment_id, **row})
    audit.write(conn)
    session.expire_all()
    flipped = [a.country_code for a in wanted if a.at_risk != (current[a.country_code].at_risk if a.country_code in current else False)]
    if flipped:
        recompute_countries(session, flipped, today)
