"""OpenID Connect providers for tests, both real HTTP servers on localhost:

- `mock_provider()`: oidc-provider-mock (a real Authlib-based provider): discovery, authorize, token,
  JWKS, end_session; users set with PUT /users/<sub>; a non-interactive login is a POST of the authorize
  URL with the form field `sub`.
- `TokenServer`: a tiny provider of our own that signs whatever ID token claims a test sets (expired, for
  another audience, from another issuer), with a key it serves from its own JWKS endpoint, for the cases
  a well-behaved provider never produces."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.config import OidcProvider

CLIENT_ID = "aptrain-test-client"
CLIENT_SECRET = "aptrain-test-secret"


def provider_settings(issuer: str, *, key: str = "test", domains=("example.gov.uk",), **extra) -> OidcProvider:
    return OidcProvider(
        key=key, issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, display_name="Test department",
        domains=list(domains), **extra,
    )


@contextmanager
def mock_provider() -> Iterator[str]:
    """oidc-provider-mock on a free port, nonce required; yields its issuer (http://localhost:PORT)."""
    from oidc_provider_mock import run_server_in_thread

    saved = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on localhost, for the provider's side only
    try:
        with run_server_in_thread(port=0, require_nonce=True) as server:
            yield f"http://localhost:{server.server_port}"
    finally:
        if saved is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = saved


def set_user(issuer: str, sub: str, **claims) -> None:
    httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()


def log_in_at_provider(authorize_url: str, sub: str) -> str:
    """The provider's answer to a user `sub` signing in: the callback URL (with code and state)."""
    response = httpx.post(authorize_url, data={"sub": sub}, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class TokenServer:
    """A provider that answers discovery, JWKS and the token endpoint, issuing an ID token made of
    `claims` (set by the test) signed with its own RSA key."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.signing_key = self.key  # a test may sign with another key than the one published
        self.claims: dict = {}
        self.token_requests: list[dict] = []
        self.gets: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _json(self, value: dict, status: int = 200) -> None:
                body = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                server.gets.append(self.path)
                if self.path == "/.well-known/openid-configuration":
                    self._json({
                        "issuer": server.issuer, "authorization_endpoint": server.issuer + "/authorize",
                        "token_endpoint": server.issuer + "/token", "jwks_uri": server.issuer + "/jwks",
                        "response_types_supported": ["code"], "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                elif self.path == "/jwks":
                    self._json({"keys": [server.key.as_dict(private=False)]})
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                server.token_requests.append(form)
                id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, server.claims, server.signing_key)
                self._json({"access_token": "access", "token_type": "Bearer", "expires_in": 60, "id_token": id_token})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TokenServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def good_claims(self, nonce: str, **changes) -> dict:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "subject-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": nonce, "email": "someone@example.gov.uk", "email_verified": True}
        claims.update(changes)
        return claims
