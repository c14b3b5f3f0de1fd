"""The content pipeline: Markdown module files to immutable Module objects, with a linter."""

from app.content.library import lint_paths, load_library, load_risk_factors
from app.content.parser import parse_module

__all__ = ["lint_paths", "load_library", "load_risk_factors", "parse_module"]
