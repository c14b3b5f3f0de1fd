"""OpenID Connect (authorization code flow with PKCE, state and nonce) against the providers configured in
APTRAIN_OIDC_PROVIDERS, with Authlib's synchronous client.

Every outbound call is bounded by a timeout. Discovery documents and key sets are cached for an hour
(a key set is fetched again once when a token names a key it does not hold, as after a key rotation).
The ID token's signature, issuer, audience, expiry, issue time and nonce are checked here; which claim
gives a verified email is a per-provider choice (`email_source`)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.integrations.httpx_client._compat import httpx2
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from app.config import OidcProvider

log = logging.getLogger("aptrain")

CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class ProviderUnavailable(Exception):
    """The provider did not answer in time, or answered with something that is not OpenID Connect."""


class SignInRejected(Exception):
    """The provider's answer is not a sign-in this service can accept. `reason` is for the audit log; `email`
    is set when the token was sound but its email cannot be accepted (not verified, another domain)."""

    def __init__(self, reason: str, email: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.email = email


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


@dataclass(frozen=True)
class Flow:
    """What the browser must bring back to the callback: kept in a signed, short-lived cookie."""

    state: str
    nonce: str
    code_verifier: str


class _Cache:
    def __init__(self) -> None:
        self._values: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, fetch: Callable[[], object], *, fresh: bool = False) -> object:
        with self._lock:
            found = self._values.get(key)
        if found and not fresh and time.monotonic() - found[0] < CACHE_SECONDS:
            return found[1]
        value = fetch()
        with self._lock:
            self._values[key] = (time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_cache = _Cache()


def clear_cache() -> None:
    """Forget every discovery document and key set (tests; a provider's keys changed)."""
    _cache.clear()


def _get_json(url: str, timeout: float) -> dict:
    try:
        with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        value = response.json()
    except (httpx2.HTTPError, ValueError) as error:
        log.warning("OpenID Connect provider unavailable: %s: %s", url, error)
        raise ProviderUnavailable(url) from error
    if not isinstance(value, dict):
        raise ProviderUnavailable(url)
    return value


def metadata(provider: OidcProvider, timeout: float) -> Metadata:
    """The provider's discovery document (cached), checked to be for the configured issuer."""

    def fetch() -> Metadata:
        document = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration", timeout)
        if document.get("issuer") != provider.issuer:
            log.warning("OpenID Connect discovery for %s names issuer %r", provider.key, document.get("issuer"))
            raise ProviderUnavailable(provider.issuer)
        try:
            return Metadata(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                jwks_uri=document["jwks_uri"],
                end_session_endpoint=document.get("end_session_endpoint"),
            )
        except KeyError as error:
            raise ProviderUnavailable(provider.issuer) from error

    return _cache.get("discovery " + provider.issuer, fetch)  # type: ignore[return-value]


def _keys(meta: Metadata, timeout: float, *, fresh: bool = False) -> KeySet:
    def fetch() -> KeySet:
        try:
            return KeySet.import_key_set(_get_json(meta.jwks_uri, timeout))  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise ProviderUnavailable(meta.jwks_uri) from error

    return _cache.get("jwks " + meta.jwks_uri, fetch, fresh=fresh)  # type: ignore[return-value]


def new_flow() -> Flow:
    return Flow(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), code_verifier=secrets.token_urlsafe(48))


def _client(provider: OidcProvider, redirect_uri: str, timeout: float) -> OAuth2Client:
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret.get_secret_value(),
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=timeout,
    )


def authorization_url(
    provider: OidcProvider, meta: Metadata, redirect_uri: str, flow: Flow, login_hint: str, timeout: float
) -> str:
    """Where to send the browser: the provider's sign-in page with state, nonce and the PKCE challenge."""
    with _client(provider, redirect_uri, timeout) as client:
        url, _state = client.create_authorization_url(
            meta.authorization_endpoint,
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
            login_hint=login_hint,
        )
    return url


def exchange_code(
    provider: OidcProvider, meta: Metadata, redirect_uri: str, code: str, flow: Flow, timeout: float
) -> str:
    """The ID token for an authorization code (a refused code is a SignInRejected: replayed or forged)."""
    try:
        with _client(provider, redirect_uri, timeout) as client:
            token = client.fetch_token(
                meta.token_endpoint, grant_type="authorization_code", code=code, code_verifier=flow.code_verifier
            )
    except OAuthError as error:
        raise SignInRejected(f"token endpoint refused the code: {error.error}") from error
    except httpx2.HTTPError as error:
        log.warning("OpenID Connect token endpoint unavailable for %s: %s", provider.key, error)
        raise ProviderUnavailable(meta.token_endpoint) from error
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise SignInRejected("no ID token in the token response")
    return id_token


def validate_id_token(
    provider: OidcProvider, meta: Metadata, id_token: str, nonce: str, timeout: float, now: int | None = None
) -> dict:
    """The ID token's claims, once its signature (the provider's published keys), issuer, audience,
    authorised party, expiry, issue time and nonce are all as they must be."""
    try:
        try:
            decoded = jwt.decode(id_token, _keys(meta, timeout), algorithms=SIGNING_ALGORITHMS)
        except JoseError:  # perhaps a rotated key: fetch the key set once more
            decoded = jwt.decode(id_token, _keys(meta, timeout, fresh=True), algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError) as error:
        raise SignInRejected(f"ID token signature not valid: {error}") from error
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": meta.issuer},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as error:
        raise SignInRejected("ID token expired") from error
    except JoseError as error:
        raise SignInRejected(f"ID token claim not valid: {error}") from error
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if provider.client_id not in audiences:
        raise SignInRejected("ID token is for another audience")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != provider.client_id:
        raise SignInRejected("ID token is for another authorised party")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise SignInRejected("ID token nonce does not match")
    return claims


def _true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def verified_email(provider: OidcProvider, claims: dict) -> str:
    """The email the provider vouches for, normalised, or SignInRejected when it does not vouch for one.
    The email must also be in one of the provider's own domains."""
    if provider.email_source == "email_verified":
        email, verified = claims.get("email"), _true(claims.get("email_verified"))
    elif provider.email_source == "entra-xms-edov":
        email, verified = claims.get("email"), _true(claims.get("xms_edov"))
    else:  # entra-upn: a single-tenant issuer (checked in the settings); the tenant owns its user names
        email = claims.get("preferred_username") or claims.get("upn")
        verified = isinstance(email, str) and "@" in email
    if not isinstance(email, str) or not email.strip():
        raise SignInRejected("no email in the ID token", email="")
    email = email.strip().lower()
    if not verified:
        raise SignInRejected("email not verified by the provider", email=email)
    if email.rpartition("@")[2] not in provider.domains:
        raise SignInRejected("email outside the provider's domains", email=email)
    return email


def provider_for_email(providers: list[OidcProvider], email: str) -> OidcProvider | None:
    domain = email.strip().lower().rpartition("@")[2]
    return next((p for p in providers if domain in p.domains), None)


def end_session_url(meta: Metadata, provider: OidcProvider, id_token: str | None, after: str) -> str | None:
    """RP-initiated logout at the provider, back to `after`; None when the provider has no such endpoint."""
    if not meta.end_session_endpoint:
        return None
    params = {"post_logout_redirect_uri": after, "client_id": provider.client_id}
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in meta.end_session_endpoint else "?"
    return meta.end_session_endpoint + separator + urlencode(params)
