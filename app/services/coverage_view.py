"""Which of the UN Framework's risk factors each served module covers: the authors' coverage matrix."""

from __future__ import annotations

from dataclasses import dataclass

from app.content.lint import RISK_CODES
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


def exercised(module: Module) -> frozenset[str]:
    """The risk factors a module lists or exercises in a choice or a question."""
    codes = set(module.risk_factors)
    for scene in module.scenes.values():
        for choice in scene.choices:
            codes.update(choice.risk_factors)
    for question in module.questions:
        codes.update(question.risk_factors)
    return frozenset(codes)


def _number(code: str) -> int:
    return int(code[2:]) if code[2:].isdigit() else 0


def coverage_matrix(library: Library) -> CoverageMatrix:
    """Risk factors (RF1…RF14, in order) by served module (by title)."""
    modules = tuple(sorted(library.modules.values(), key=lambda m: m.title.lower()))
    factors = library.risk_factors
    codes = sorted(factors or RISK_CODES, key=_number)
    covered = [exercised(m) for m in modules]
    rows = tuple(
        CoverageRow(code, factors[code].title if code in factors else "", tuple(code in c for c in covered))
        for code in codes
    )
    return CoverageMatrix(modules=modules, rows=rows)
