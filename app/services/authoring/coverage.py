"""The authors' coverage page: app.content.coverage's risk factor × module matrix, as rows to draw."""

from __future__ import annotations

from dataclasses import dataclass

from app.content.coverage import coverage
from app.content.model import Library, Module


@dataclass(frozen=True)
class CoverageRow:
    code: str
    title: str
    covered: tuple[bool, ...]  # one per module, in the matrix's module order

    @property
    def count(self) -> int:
        return sum(self.covered)


@dataclass(frozen=True)
class CoverageMatrix:
    modules: tuple[Module, ...]
    rows: tuple[CoverageRow, ...]

    @property
    def uncovered(self) -> tuple[CoverageRow, ...]:
        return tuple(r for r in self.rows if not r.count)


def coverage_matrix(library: Library) -> CoverageMatrix:
    """Risk factors (RF1…RF14, in order) by served module (by title): exercised by a choice or a question."""
    matrix = coverage(library)
    modules = tuple(sorted((library.modules[m] for m in matrix.modules), key=lambda m: m.title.lower()))
    rows = tuple(
        CoverageRow(f.code, f.title, tuple(matrix.cells.get((f.code, m.id), False) for m in modules))
        for f in matrix.factors
    )
    return CoverageMatrix(modules=modules, rows=rows)
