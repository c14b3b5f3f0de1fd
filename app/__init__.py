"""Atrocity Prevention Training: scenario-based e-learning and compliance for UK officials."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
