"""Load every module in a directory (or lint given paths), with the risk factors they refer to."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from app.content.lint import RISK_CODES
from app.content.model import Diagnostic, Library, RiskFactor
from app.content.parser import ParseResult, parse_file

RISK_FACTORS_FILE = "risk-factors.yaml"
TRANSLATION = re.compile(r"[^.]+\.[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\.md")
RISK_CODE = re.compile(r"RF([1-9]\d*)")
FACTOR_KEYS = ("code", "title", "summary", "group")


def load_risk_factors(path: Path) -> dict[str, RiskFactor]:
    """Read risk-factors.yaml; raises ValueError saying what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read it: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("factors"), list):
        raise ValueError("it needs a `factors:` list")
    groups = data.get("groups") or {}
    factors: dict[str, RiskFactor] = {}
    for entry in data["factors"]:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in FACTOR_KEYS):
            raise ValueError(f"each factor needs text `code`, `title`, `summary` and `group`: {entry!r}")
        match = RISK_CODE.fullmatch(entry["code"])
        if match is None or entry["code"] in factors:
            raise ValueError(f"`{entry['code']}` is not a new code of the form RF1, RF2, ...")
        if groups and entry["group"] not in groups:
            raise ValueError(f"{entry['code']} has group `{entry['group']}`, which `groups:` does not list")
        factors[entry["code"]] = RiskFactor(
            code=entry["code"], number=int(match.group(1)), title=entry["title"].strip(),
            summary=entry["summary"].strip(), group=entry["group"],
        )  # fmt: skip
    return factors


def is_translation(path: Path) -> bool:
    """`<id>.<lang>.md` files are translations of another module."""
    return TRANSLATION.fullmatch(path.name) is not None


def module_files(directory: Path) -> list[Path]:
    """The module files in a directory: every `*.md` but README.md and translations."""
    return sorted(
        p for p in directory.glob("*.md")
        if p.is_file() and p.name.lower() != "readme.md" and not is_translation(p)
    )  # fmt: skip


def _risk_factors(directory: Path) -> tuple[dict[str, RiskFactor], list[Diagnostic]]:
    path = directory / RISK_FACTORS_FILE
    if not path.exists():
        return {}, []
    try:
        return load_risk_factors(path), []
    except ValueError as exc:
        return {}, [Diagnostic(str(path), 1, "error", "risk-factors-invalid", f"{RISK_FACTORS_FILE}: {exc}")]


def _parse_all(files: Iterable[tuple[Path, frozenset[str]]]) -> dict[Path, ParseResult]:
    """Parse each file, then add a duplicate-module-id error to every file sharing an id."""
    results = {path: parse_file(path, codes) for path, codes in files}
    by_id: dict[str, list[Path]] = defaultdict(list)
    for path, result in results.items():
        if result.module_id and not is_translation(path):
            by_id[result.module_id].append(path)
    for module_id, paths in by_id.items():
        for path in paths if len(paths) > 1 else ():
            others = ", ".join(str(p) for p in paths if p != path)
            result = results[path]
            result.diagnostics.append(
                Diagnostic(str(path), result.id_line, "error", "duplicate-module-id",
                           f"module id `{module_id}` is also used by {others}; give each module its own id")
            )  # fmt: skip
            result.module = None
    return results


def _sorted(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.code))


def load_library(directory: Path) -> Library:
    """Every clean module in the directory; failed files in `rejected`; every diagnostic."""
    library = Library()
    library.risk_factors, problems = _risk_factors(directory)
    codes = frozenset(library.risk_factors) or RISK_CODES
    results = _parse_all((path, codes) for path in module_files(directory))
    for path, result in results.items():
        problems.extend(result.diagnostics)
        if result.module is not None:
            library.modules[result.module.id] = result.module
        else:
            library.rejected[str(path)] = result.module_id
    library.diagnostics = _sorted(problems)
    return library


def lint_paths(paths: Sequence[Path]) -> list[Diagnostic]:
    """Diagnostics for the given files and directories (a directory means its modules), sorted."""
    problems: list[Diagnostic] = []
    files: list[tuple[Path, frozenset[str]]] = []
    for path in paths:
        directory = path if path.is_dir() else path.parent
        factors, trouble = _risk_factors(directory)
        problems.extend(d for d in trouble if d not in problems)
        codes = frozenset(factors) or RISK_CODES
        files.extend((p, codes) for p in (module_files(path) if path.is_dir() else [path]))
    unique = {path.resolve(): (path, codes) for path, codes in reversed(files)}  # first mention wins
    for result in _parse_all(sorted(unique.values())).values():
        problems.extend(result.diagnostics)
    return _sorted(problems)
