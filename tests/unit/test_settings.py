"""Settings fail closed, and the README documents every one."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from app import PROJECT_ROOT
from app.config import DEVELOPMENT_SECRET, Settings


def test_production_without_a_secret_refuses_to_start(monkeypatch):
    monkeypatch.delenv("APTRAIN_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="APTRAIN_SECRET_KEY must be set"):
        Settings(environment="production")


def test_a_short_secret_is_refused():
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(environment="production", secret_key="short")


def test_the_development_secret_is_refused_in_production():
    with pytest.raises(ValidationError, match="development secret"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET)


def test_development_gets_a_key_and_insecure_cookies(monkeypatch):
    monkeypatch.delenv("APTRAIN_SECRET_KEY", raising=False)
    settings = Settings(environment="development")
    assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET
    assert settings.cookies_secure is False
    assert Settings(environment="production", secret_key="x" * 40, base_url="https://t.example.gov.uk").cookies_secure


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(APTRAIN_[A-Z_]+)`", readme))
    expected = {f"APTRAIN_{name.upper()}" for name in Settings.model_fields}
    assert expected <= documented, f"not in README: {sorted(expected - documented)}"
