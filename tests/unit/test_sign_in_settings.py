"""Password sign-in's default per environment, and the provider settings' checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings

PROVIDER = {"key": "fcdo", "issuer": "https://login.microsoftonline.com/tenant/v2.0", "client_id": "c",
            "client_secret": "s", "display_name": "Foreign Office", "domains": ["@FCDO.gov.uk"]}
PRODUCTION = {"environment": "production", "secret_key": "x" * 40, "base_url": "https://training.example.gov.uk"}


def test_password_sign_in_is_off_in_production_only_when_single_sign_on_is_configured():
    assert Settings(**PRODUCTION, oidc_providers=[PROVIDER]).password_sign_in is False
    assert Settings(**PRODUCTION).password_sign_in is True  # otherwise nobody could sign in
    assert Settings(**PRODUCTION, oidc_providers=[PROVIDER], password_sign_in=True).password_sign_in is True
    assert Settings(environment="development", oidc_providers=[PROVIDER]).password_sign_in is True


def test_providers_are_read_from_json_and_checked(monkeypatch):
    monkeypatch.setenv("APTRAIN_OIDC_PROVIDERS", '[{"key": "fcdo", "issuer": "https://idp.example", "client_id": "c", '
                                                 '"client_secret": "s", "display_name": "F", "domains": ["fcdo.gov.uk"]}]')
    (provider,) = Settings(environment="development").oidc_providers
    assert provider.domains == ["fcdo.gov.uk"] and provider.origin == "https://idp.example"
    assert Settings(environment="development", oidc_providers=[PROVIDER]).oidc_providers[0].domains == ["fcdo.gov.uk"]
    with pytest.raises(ValidationError, match="its own key"):
        Settings(environment="development", oidc_providers=[PROVIDER, PROVIDER])
    with pytest.raises(ValidationError):
        Settings(environment="development", oidc_providers=[{**PROVIDER, "key": "Has Spaces"}])
