"""A CSV file that stops being readable (a cell past the csv module's limit, usually a quote never closed) is a row
error naming the line, for the CLI and the upload page alike, never an exception (issue 12, gap 7)."""

from __future__ import annotations

import csv

import pytest

from app.services.organisation.csv_input import UnreadableCsv, read_table
from app.services.organisation.risk_import import import_risk
from app.services.organisation.roster import import_roster

HEADER = "email,given_name,family_name,department,unit\n"


def test_a_cell_past_the_limit_names_its_line():
    data = HEADER + "a@example.gov.uk,A,B,FCDO,Team\n" + "b@example.gov.uk," + "x" * (csv.field_size_limit() + 1) + ",B,FCDO,Team\n"
    with pytest.raises(UnreadableCsv) as raised:
        read_table(data)
    assert raised.value.line == 3
    assert "a cell is longer than 131,072 characters" in raised.value.message


def test_both_imports_report_it_as_a_row_error(session):
    long_cell = "x" * 131_073
    roster = import_roster(session, HEADER + f'a@example.gov.uk,"{long_cell},B,FCDO,Team\n', dry_run=True)
    assert [(e.line, "131,072" in e.message) for e in roster.errors] == [(2, True)]
    risk = import_risk(session, f"country,at_risk,level\nSudan,yes,{long_cell}\n", source="Test", dry_run=True,
                       assessed_on=None, filename="risk-2026-06-01.csv")
    assert any(e.line == 2 and "131,072" in e.message for e in risk.errors)
