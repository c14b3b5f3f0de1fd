"""The at-risk country import: the Early Warning Project's published CSV (matched by ccode) and a simple list."""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from importlib import resources
from pathlib import Path

import pycountry
import pytest
from sqlmodel import func, select

from app.models import AuditEvent, CountryRiskAssessment
from app.services.organisation.risk_import import COW_STATES, cow_states, cow_to_iso2, date_in_name, import_risk

EWP_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "early-warning-project"
EWP_FILE = EWP_DIR / "final_forecasts_data_3Sep2025.csv"
EWP_CCODES = Path(__file__).resolve().parents[1] / "fixtures" / "ewp_ccodes.csv"  # ccode, ewp_name from EWP_FILE
EWP = "Early Warning Project Statistical Risk Assessment"
TODAY = date(2026, 1, 15)

needs_ewp = pytest.mark.skipif(not EWP_FILE.exists(), reason="shared/data/early-warning-project not beside the repo")


def run(session, data, *, filename="list-2026-01-10.csv", source="Internal list", **options):
    report = import_risk(session, data, source=source, filename=filename, today=TODAY, **options)
    session.commit()
    return report


def current(session, source) -> dict[str, CountryRiskAssessment]:
    session.expire_all()
    rows = session.exec(select(CountryRiskAssessment).where(
        CountryRiskAssessment.source == source, CountryRiskAssessment.superseded_at.is_(None)))
    return {a.country_code: a for a in rows}


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_correlates_of_war_codes_map_to_iso():
    assert cow_to_iso2([775, 490, 679, 345, 2]) == {775: "MM", 490: "CD", 679: "YE", 345: "RS", 2: "US"}


def test_the_cow_table_is_complete_one_to_one_and_known_to_pycountry():
    with resources.files("app.services.organisation").joinpath(COW_STATES).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["ccode", "cow_abb", "cow_name", "iso2"]
    ccodes, iso2s = [int(r["ccode"]) for r in rows], [r["iso2"] for r in rows]
    assert len(rows) >= 195 and len(set(ccodes)) == len(ccodes) and len(set(iso2s)) == len(iso2s)
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in iso2s)
    # Kosovo's XK is a user-assigned code, not in ISO 3166-1 or pycountry: the importer skips it (no Country row).
    assert [code for code in iso2s if pycountry.countries.get(alpha_2=code) is None] == ["XK"]
    assert cow_states() == dict(zip(ccodes, iso2s))


def test_well_known_cow_codes():
    assert cow_to_iso2([2, 200, 365, 710, 625, 626, 490, 775, 345, 347, 255, 679, 816, 713]) == {
        2: "US", 200: "GB", 365: "RU", 710: "CN", 625: "SD", 626: "SS", 490: "CD", 775: "MM",
        345: "RS", 347: "XK", 255: "DE", 679: "YE", 816: "VN", 713: "TW"}
    # States that no longer exist, and numbers that are no state, have no ISO code.
    assert cow_to_iso2([260, 265, 315, 678, 680, 817, 1, 999]) == dict.fromkeys([260, 265, 315, 678, 680, 817, 1, 999])
    assert cow_to_iso2([]) == {}


STOP = {"the", "of", "and", "republic", "democratic", "people", "s", "state", "states", "federation", "islamic",
        "united", "plurinational", "bolivarian", "province"}
SAME_COUNTRY = {437: "Ivory Coast", 640: "Turkey", 703: "Kyrgystan"}  # Côte d'Ivoire, Türkiye, Kyrgyzstan (EWP's spelling)


def _words(name: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return set(re.findall(r"[a-z]+", folded)) - STOP


def test_every_ccode_in_the_ewp_file_maps_to_a_plausible_iso_country():
    with EWP_CCODES.open(encoding="utf-8", newline="") as f:
        rows = [(int(r["ccode"]), r["ewp_name"]) for r in csv.DictReader(f)]
    assert len(rows) == 168
    iso = cow_to_iso2([ccode for ccode, _ in rows])
    assert all(iso[ccode] for ccode, _ in rows)
    assert len(set(iso.values())) == len(rows)  # no two ccodes are the same country
    assert (iso[345], iso[347]) == ("RS", "XK")
    for ccode, name in rows:
        country = pycountry.countries.get(alpha_2=iso[ccode])
        if country is None:
            assert (ccode, name, iso[ccode]) == (347, "Kosovo", "XK")
            continue
        known = " ".join(getattr(country, field, "") for field in ("name", "official_name", "common_name"))
        plausible = any(a.startswith(b) or b.startswith(a) for a in _words(name) for b in _words(known) if min(len(a), len(b)) >= 4)
        assert plausible or SAME_COUNTRY.get(ccode) == name, (ccode, name, iso[ccode], known)  # "Russia", "Russian Federation"


@needs_ewp
def test_every_ccode_in_the_ewp_name_sheet_maps_except_states_that_no_longer_exist():
    with (EWP_DIR / "countrynamesheet.csv").open(encoding="utf-8", newline="") as f:
        ccodes = {int(float(r["ccode"])) for r in csv.DictReader(f)}
    unmapped = {ccode for ccode, code in cow_to_iso2(sorted(ccodes)).items() if code is None}
    assert unmapped == {265, 315, 678, 680, 817}  # East Germany, Czechoslovakia, the two Yemens, South Vietnam


@needs_ewp
def test_the_ccode_fixture_is_the_published_ewp_file():
    with EWP_FILE.open(encoding="utf-8", newline="") as f:
        published = [(str(int(float(r["ccode"]))), r["ewp_name"]) for r in csv.DictReader(f)]
    with EWP_CCODES.open(encoding="utf-8", newline="") as f:
        assert [(r["ccode"], r["ewp_name"]) for r in csv.DictReader(f)] == published


def test_publication_date_from_the_file_name():
    assert date_in_name("final_forecasts_data_3Sep2025.csv") == date(2025, 9, 3)
    assert date_in_name("list-2026-01-10.csv") == date(2026, 1, 10)
    assert date_in_name("risk.csv") is None


@needs_ewp
def test_the_published_ewp_file_flags_its_top_30(session):
    report = run(session, EWP_FILE.read_bytes(), filename=EWP_FILE.name, source=EWP)
    assert report.errors == [] and report.applied
    # Kosovo (ccode 347) has no ISO 3166-1 code: skipped with a warning, not an error.
    assert [w.line for w in report.warnings] == [148] and "Kosovo (ccode 347)" in report.warnings[0].message
    assessments = current(session, EWP)
    assert len(assessments) == 167
    flagged = {code for code, a in assessments.items() if a.at_risk}
    assert len(flagged) == 30
    myanmar = assessments["MM"]  # rank 1: "Burma/Myanmar", ccode 775
    assert (myanmar.at_risk, myanmar.level, myanmar.edition, myanmar.assessed_on) == (True, "rank 1 of 168", "2025-26", date(2025, 9, 3))
    assert assessments["TJ"].level == "rank 30 of 168" and assessments["TJ"].at_risk  # Tajikistan, ccode 702
    assert assessments["SS"].level == "rank 31 of 168" and not assessments["SS"].at_risk  # South Sudan, ccode 626
    assert assessments["CD"].at_risk and assessments["RS"].at_risk is False  # DR Congo 490; Serbia 345
    assert myanmar.set_by_label == f"import risk {EWP_FILE.name}"
    assert count(session, AuditEvent) == 167


@needs_ewp
def test_reimporting_the_ewp_file_creates_nothing(session):
    run(session, EWP_FILE.read_bytes(), filename=EWP_FILE.name, source=EWP)
    rows, events = count(session, CountryRiskAssessment), count(session, AuditEvent)
    report = run(session, EWP_FILE.read_bytes(), filename=EWP_FILE.name, source=EWP)
    assert report.unchanged
    assert (count(session, CountryRiskAssessment), count(session, AuditEvent)) == (rows, events)


@needs_ewp
def test_top_n_is_a_parameter_and_a_changed_flag_supersedes_the_old_row(session):
    run(session, EWP_FILE.read_bytes(), filename=EWP_FILE.name, source=EWP)
    report = run(session, EWP_FILE.read_bytes(), filename=EWP_FILE.name, source=EWP, top=20)
    assert len(report.changed) == 10 and report.added == []
    assessments = current(session, EWP)
    assert sum(a.at_risk for a in assessments.values()) == 20 and not assessments["TJ"].at_risk
    history = session.exec(select(CountryRiskAssessment).where(CountryRiskAssessment.country_code == "TJ")).all()
    assert len(history) == 2 and sum(a.superseded_at is None for a in history) == 1


def test_ewp_columns_are_matched_by_pattern_and_the_newest_window_wins(session):
    text = (
        '"","ewp_name","risk.2027and2028.from2026","rank.2027and2028.from2027","risk.2026and2027.from2025","rank.2026and2027.from2025","ccode"\n'
        '"1","Sudan",0.09,1,0.01,9,625\n"2","Chad",0.05,2,0.09,1,483\n"3","Norway",0.001,3,0.001,3,385\n'
    )
    report = run(session, text, filename="forecasts.csv", source=EWP, top=2, assessed_on=date(2027, 9, 1))
    assert report.errors == []
    assessments = current(session, EWP)
    assert {c: (a.at_risk, a.level, a.edition) for c, a in assessments.items()} == {
        "SD": (True, "rank 1 of 3", "2027-28"), "TD": (True, "rank 2 of 3", "2027-28"), "NO": (False, "rank 3 of 3", "2027-28")}


SIMPLE = "country,at_risk,level\nSudan,yes,high\nTD,true,\nNorway,no,\n"


def test_simple_list_and_unflagging_a_country_no_longer_listed(session):
    report = run(session, SIMPLE, edition="Q1 2026")
    assert report.errors == [] and len(report.added) == 3
    assert {c: a.at_risk for c, a in current(session, "Internal list").items()} == {"SD": True, "TD": True, "NO": False}
    assert run(session, SIMPLE, edition="Q1 2026").unchanged
    report = run(session, "country,at_risk\nSudan,yes\n", edition="Q1 2026")
    assert "Chad: no longer listed, not at risk" in report.ended
    assessments = current(session, "Internal list")
    assert not assessments["TD"].at_risk and assessments["SD"].level == ""


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        ("Narnia,yes,\n", 5, "unknown country 'Narnia'"),
        ("Mali,maybe,\n", 5, "at_risk must be yes or no, not 'maybe'"),
        ("SDN,yes,\n", 5, "Sudan is already on line 2"),
    ],
)
def test_simple_list_errors_change_nothing(session, rows, line, message):
    report = run(session, SIMPLE + rows)
    assert [(e.line, e.message) for e in report.errors] == [(line, message)]
    assert count(session, CountryRiskAssessment) == count(session, AuditEvent) == 0


def test_unknown_header_and_missing_date(session):
    assert run(session, "name,flag\nSudan,yes\n").errors[0].line == 1
    report = run(session, SIMPLE, filename="list.csv")
    assert [e.message for e in report.errors] == ["no assessment date: pass --date YYYY-MM-DD (or put the date in the file name)"]


def test_dry_run_changes_nothing(session):
    report = run(session, SIMPLE, dry_run=True)
    assert len(report.added) == 3 and not report.applied
    assert count(session, CountryRiskAssessment) == 0
