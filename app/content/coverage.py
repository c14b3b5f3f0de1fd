"""Which modules exercise which risk factors: the matrix behind `aptrain modules coverage`."""

from __future__ import annotations

from dataclasses import dataclass

from app.content.lint import RISK_CODES
from app.content.model import Library, Module, RiskFactor

MINIMUM_MODULES = 2  # a factor taught by one module only depends on that module staying right


@dataclass(frozen=True)
class Coverage:
    """Risk factors (rows) by module ids (columns); a cell is True when a choice or question has that `rf=`."""

    factors: list[RiskFactor]
    modules: list[str]
    cells: dict[tuple[str, str], bool]

    def count(self, code: str) -> int:
        """How many modules exercise the factor."""
        return sum(self.cells.get((code, module_id), False) for module_id in self.modules)

    def thin(self, minimum: int = MINIMUM_MODULES) -> list[RiskFactor]:
        """Factors exercised by fewer than `minimum` modules."""
        return [factor for factor in self.factors if self.count(factor.code) < minimum]


def exercised(module: Module) -> set[str]:
    """The `rf=` codes of every choice and question in a module."""
    codes = {code for scene in module.scenes.values() for choice in scene.choices for code in choice.risk_factors}
    return codes | {code for question in module.questions for code in question.risk_factors}


def coverage(library: Library) -> Coverage:
    """The matrix for every module that loads (RF1..RF14 untitled if risk-factors.yaml is missing)."""
    factors = sorted(library.risk_factors.values(), key=lambda f: f.number) or [
        RiskFactor(code=f"RF{n}", number=n, title="", summary="", group="") for n in range(1, len(RISK_CODES) + 1)
    ]
    modules = sorted(library.modules)
    used = {module_id: exercised(library.modules[module_id]) for module_id in modules}
    cells = {(f.code, module_id): f.code in used[module_id] for f in factors for module_id in modules}
    return Coverage(factors=factors, modules=modules, cells=cells)
