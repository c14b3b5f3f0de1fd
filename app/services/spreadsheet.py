"""Cells for files people open in a spreadsheet (CSV and Excel): text is never run as a formula.

Every CSV the service writes (compliance exports, item analysis) goes through `SafeCsvWriter`, which quotes with
the csv module and neutralises every cell: text that starts — after any spaces or line breaks — with = + - @
(or their full-width forms, which some spreadsheets read as formulas), a tab or a carriage return gets a leading
apostrophe (OWASP's advice on CSV injection). Numbers and dates are left as they are, so -3 stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: dangerous text gets a leading '."""
    if isinstance(value, str) and (value.startswith(DANGEROUS) or value.lstrip(" \n\u00a0").startswith(DANGEROUS)):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer whose every row, header included, is neutralised cell by cell."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
