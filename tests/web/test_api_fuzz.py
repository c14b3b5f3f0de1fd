"""Schemathesis against /api/v1's own OpenAPI description: generated requests (valid and invalid), sent with a real
token to a seeded database, never get a 5xx, and every answer matches the schema (status documented, body and
headers as described). Bounded so it runs in the ordinary suite in well under half a minute."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.main import create_app
from app.services.accounts import api_tokens
from app.services.audit import Actor
from tests.conftest import make_settings

# The schema is read once from an application that never opens its database; each example is sent to the test's
# own application (`app=`), whose database `populated_org` seeds with departments, units, officials and
# assignments in every status. (Schemathesis's fixture-based loader does not work with pytest 9.)
# A generated `page[cursor]` is any string, which the schema allows, but only cursors the API gave are accepted:
# the 400 it documents for any other is the one expected answer to a valid-looking request besides 2xx and 4xx for
# scope (403) and lookups (404).
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    "include-path": "/assignments",
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", 400, 401, 403, 404]}},
}]})
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(make_settings("sqlite:///never-opened.db")),
                                        config=CONFIG)


_token: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class FuzzToken:
    """The current test's token, applied as Schemathesis's own authentication (so it knows the header is not one
    of its generated values, and never counts a request it mutated and we then signed as accepted bad data)."""

    def get(self, _case, _context) -> str:
        return _token.get("secret", "apt_none-yet")  # asked once while collecting, before any test runs

    def set(self, case, secret: str, _context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_token(session, populated_org) -> str:
    _row, secret = api_tokens.create(session, Actor(None, "test"), "Fuzzing", everything=True)
    session.commit()
    _token["secret"] = secret
    yield secret
    _token.clear()


@schema.parametrize()
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_answers_match_its_schema(case, app, api_token):
    case.call_and_validate(app=app)
