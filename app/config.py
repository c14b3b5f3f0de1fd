"""Settings, read once from the environment (prefix APTRAIN_). Fails closed outside development."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app import PROJECT_ROOT
from app.db import DatabaseLimits

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "testserver")  # always allowed in development and test


class OidcProvider(BaseModel):
    """One OpenID Connect provider (an item of APTRAIN_OIDC_PROVIDERS); the README explains each field."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")  # names the provider in its callback URL
    issuer: str
    client_id: str
    client_secret: SecretStr
    display_name: str
    domains: list[str] = Field(min_length=1)  # the email domains it signs in
    department: str | None = None  # a department code: when set, it signs in only that department's officials
    # How a verified email is read: "email_verified" (the standard claim must be true), "entra-xms-edov"
    # (Entra ID: `email` only when the optional claim xms_edov is true) or "entra-upn" (Entra ID: the
    # `preferred_username` of a single-tenant issuer, which the tenant itself owns).
    email_source: Literal["email_verified", "entra-xms-edov", "entra-upn"] = "email_verified"
    scopes: str = "openid email profile"

    @property
    def origin(self) -> str:
        """The issuer's scheme and host: where the browser is sent to sign in and out."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("domains")
    @classmethod
    def _lower(cls, domains: list[str]) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in domains]

    @model_validator(mode="after")
    def _single_tenant_for_upn(self) -> OidcProvider:
        if self.email_source == "entra-upn" and any(
            f"/{shared}/" in self.issuer.rstrip("/") + "/" for shared in ("common", "organizations", "consumers")
        ):
            raise ValueError(f"{self.key}: email_source entra-upn needs a single-tenant issuer (…/<tenant id>/v2.0)")
        return self


class Settings(BaseSettings):
    """Every setting the platform reads. The README documents each one (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="APTRAIN_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "production", description="development, test or production; production demands a secret key"
    )
    secret_key: SecretStr | None = Field(
        None, description="Key that signs the sign-in form's CSRF token; at least 32 characters; required outside development"
    )
    database_url: str = Field(
        f"sqlite:///{PROJECT_ROOT / 'aptrain.db'}",
        description="SQLAlchemy URL: an SQLite file (default) or postgresql+psycopg://…",
    )
    modules_dir: Path = Field(PROJECT_ROOT / "modules", description="Folder of the Markdown modules")
    reload_modules: bool | None = Field(
        None, description="Re-read changed module files on the next page load; default on in development, off otherwise"
    )
    session_idle_minutes: int = Field(30, ge=1, description="Minutes of inactivity before a session ends")
    session_absolute_hours: int = Field(12, ge=1, description="Hours after sign-in when a session ends regardless")
    secure_cookies: bool | None = Field(
        None, description="Mark cookies Secure (HTTPS only); default on in production, off otherwise"
    )
    host: str = Field("127.0.0.1", description="Address `aptrain serve` listens on")
    port: int = Field(8000, description="Port `aptrain serve` listens on")
    log_level: str = Field("info", description="Logging level: debug, info, warning, error")
    log_format: Literal["json", "text"] | None = Field(
        None, description="Log lines as JSON objects (one a line) or text; default json in production, text otherwise"
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token Prometheus sends for /metrics; unset: /metrics is open outside production and "
                          "absent (404) in production",
    )
    ready_timeout_seconds: float = Field(
        2.0, gt=0, le=30, description="/readyz: how long the database may take to answer before the check fails (503)"
    )
    db_busy_timeout_seconds: float = Field(
        5.0, gt=0, le=60,
        description="SQLite: how long a write waits for the database lock before the request answers 503",
    )
    db_lock_timeout_ms: int = Field(
        5000, ge=100, description="PostgreSQL lock_timeout: a wait for a row or table lock longer than this answers 503"
    )
    db_statement_timeout_ms: int = Field(
        30000, ge=1000, description="PostgreSQL statement_timeout: a statement running longer than this is cancelled (503)"
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        60000, ge=1000,
        description="PostgreSQL idle_in_transaction_session_timeout: a transaction left idle this long is ended",
    )
    db_pool_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="How long a request waits for a free database connection before answering 503"
    )
    shutdown_timeout_seconds: int = Field(
        10, ge=1, description="On SIGTERM, `aptrain serve` waits this long for requests in flight, then stops"
    )
    import_hold_minutes: int = Field(
        30, ge=1, le=24 * 60, description="How long a checked import file is held for its admin to import it"
    )
    import_hold_dir: Path | None = Field(
        None, description="Folder for checked import files (default: a folder per database in the temp directory)"
    )
    max_extension_days: int = Field(
        90, ge=1, le=3650,
        description="An extension may set a new due date at most this many days after the due date it extends",
    )
    contact_team: str = Field(
        "the Atrocity Prevention Team", description="Who answers questions about the service (help, accessibility)"
    )
    contact_email: str = Field(
        "atrocity-prevention@example.gov.uk", description="Email address for help with the service"
    )
    contact_phone: str = Field("", description="Telephone number for help with the service (optional)")
    oidc_providers: list[OidcProvider] = Field(
        default_factory=list, description="JSON list of OpenID Connect providers for single sign-on (see the README)"
    )
    oidc_timeout_seconds: float = Field(
        5.0, gt=0, le=30, description="Longest wait for an OpenID Connect provider (discovery, keys, token)"
    )
    password_sign_in: bool | None = Field(
        None,
        description="Allow password sign-in; default on, except in production when single sign-on is configured",
    )
    sign_in_account_attempts: int = Field(
        5, ge=1, description="Failed sign-ins for one account before each further failure locks it for a while"
    )
    sign_in_address_attempts: int = Field(
        50, ge=1, description="Failed sign-ins from one client address before each further failure locks it for a while"
    )
    sign_in_lockout_minutes: int = Field(
        15, ge=1, description="The longest a sign-in lock lasts; failures older than this are forgotten"
    )
    data_controller: str = Field(
        "the department that runs this service", description="Who is responsible for officials' data (privacy notice)"
    )
    privacy_email: str = Field(
        "data-protection@example.gov.uk", description="The data protection officer's email address (privacy notice)"
    )
    base_url: str | None = Field(
        None, description="The service's own address, e.g. https://training.example.gov.uk: links the API gives "
                          "(`next`) are built from it, never from the Host header; required in production",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Host names requests may carry, comma-separated (*.example.gov.uk allowed); "
                                          "default the base URL's host; localhost always in development and test",
    )
    max_form_kb: int = Field(
        1024, ge=16, le=100 * 1024, description="Largest body an ordinary form may send, in KB; bigger answers 413"
    )
    max_upload_mb: int = Field(
        50, ge=1, le=1024, description="Largest import file an admin may upload, in MB; bigger answers 413"
    )
    api_token_days: int = Field(
        365, ge=1, le=3650, description="How long a new API token works, in days; an admin may choose a shorter time"
    )
    email_sender: Literal["log", "notify"] = Field(
        "log", description="How emails leave: `notify` (GOV.UK Notify) or `log` (written to the log and kept in the "
                           "outbox for /admin/notifications; development and tests)",
    )
    notify_api_key: SecretStr | None = Field(None, description="GOV.UK Notify API key (required when the email sender is notify)")
    notify_template_id: str | None = Field(
        None, description="The Notify email template every reminder uses: subject ((subject)), body ((body))"
    )
    notify_base_url: str = Field(
        "https://api.notifications.service.gov.uk", description="GOV.UK Notify's API address (tests: a local server)"
    )
    notify_timeout_seconds: float = Field(10.0, gt=0, le=60, description="Longest wait for one Notify request")
    worker_batch_size: int = Field(50, ge=1, le=1000, description="Messages a worker claims at a time")
    worker_claim_seconds: int = Field(
        300, ge=10, description="How long a worker's claim lasts; after it a killed worker's messages are claimed again"
    )
    worker_poll_seconds: float = Field(2.0, gt=0, le=300, description="How often an idle worker looks for messages")
    outbox_max_attempts: int = Field(
        12, ge=1, le=100, description="Tries before a message that keeps failing temporarily is marked failed"
    )
    outbox_retry_base_seconds: float = Field(
        30.0, gt=0, description="The first retry's delay; each further retry doubles it (with jitter)"
    )
    outbox_retry_max_seconds: float = Field(6 * 3600.0, gt=0, description="The longest delay between retries")
    remind_hour: int | None = Field(
        None, ge=0, le=23, description="The worker also runs the daily reminders (`aptrain remind`) at this hour, UTC; "
                                       "unset: only when run by hand or by cron",
    )
    xapi_lrs_url: str | None = Field(
        None, description="Learning Record Store's xAPI endpoint (statements go to <url>/statements); unset: no xAPI"
    )
    xapi_lrs_username: str | None = Field(None, description="The LRS's Basic auth user name (its key)")
    xapi_lrs_password: SecretStr | None = Field(None, description="The LRS's Basic auth password (its secret)")
    xapi_lrs_timeout_seconds: float = Field(10.0, gt=0, le=60, description="Longest wait for one LRS request")
    xapi_activity_base: str | None = Field(
        None, description="Base IRI of activity ids (modules, versions, scenes); default <APTRAIN_BASE_URL>/xapi"
    )
    xapi_account_home_page: str | None = Field(
        None, description="homePage of the official's xAPI account; default APTRAIN_BASE_URL"
    )
    xapi_actor: Literal["id", "pseudonym", "email"] = Field(
        "id", description="How statements name the official: their id here, a keyed pseudonym (account name), "
                          "or their email (mbox)",
    )
    xapi_pseudonym_key: SecretStr | None = Field(
        None, description="Key of the pseudonyms (HMAC-SHA256 of the official's id); required when xapi_actor is pseudonym"
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip().lower() for host in value.split(",") if host.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/") or parts.query:
            raise ValueError("APTRAIN_BASE_URL must be a scheme and host only, e.g. https://training.example.gov.uk")
        return f"{parts.scheme}://{parts.netloc}"

    @model_validator(mode="after")
    def _fail_closed(self) -> Settings:
        if self.secret_key is None:
            if self.environment == "production":
                raise ValueError(
                    "APTRAIN_SECRET_KEY must be set in production (32+ random characters); "
                    "for local use set APTRAIN_ENVIRONMENT=development"
                )
            self.secret_key = SecretStr(DEVELOPMENT_SECRET)
        elif len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("APTRAIN_SECRET_KEY must be at least 32 characters")
        if self.environment == "production" and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET:
            raise ValueError("APTRAIN_SECRET_KEY must not be the development secret in production")
        if self.email_sender == "notify" and not (self.notify_api_key and self.notify_template_id):
            raise ValueError("APTRAIN_EMAIL_SENDER=notify needs APTRAIN_NOTIFY_API_KEY and APTRAIN_NOTIFY_TEMPLATE_ID")
        if self.environment == "production" and not self.base_url:
            raise ValueError("APTRAIN_BASE_URL must be set in production (the service's https:// address)")
        if self.xapi_lrs_url and not (self.xapi_lrs_username and self.xapi_lrs_password):
            raise ValueError("APTRAIN_XAPI_LRS_URL needs APTRAIN_XAPI_LRS_USERNAME and APTRAIN_XAPI_LRS_PASSWORD")
        if self.xapi_actor == "pseudonym" and not self.xapi_pseudonym_key:
            raise ValueError("APTRAIN_XAPI_ACTOR=pseudonym needs APTRAIN_XAPI_PSEUDONYM_KEY")
        return self

    @model_validator(mode="after")
    def _reload_in_development(self) -> Settings:
        if self.reload_modules is None:
            self.reload_modules = self.environment == "development"
        return self

    @model_validator(mode="after")
    def _json_logs_in_production(self) -> Settings:
        if self.log_format is None:
            self.log_format = "json" if self.environment == "production" else "text"
        return self

    @model_validator(mode="after")
    def _password_sign_in_default(self) -> Settings:
        if self.password_sign_in is None:
            self.password_sign_in = not (self.environment == "production" and self.oidc_providers)
        keys = [p.key for p in self.oidc_providers]
        if len(set(keys)) != len(keys):
            raise ValueError("APTRAIN_OIDC_PROVIDERS: each provider needs its own key")
        return self

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else self.environment == "production"

    @property
    def cookie_prefix(self) -> str:
        """`__Host-` on Secure cookies: the browser then accepts them only from this host, over HTTPS, for Path=/,
        with no Domain, so a sibling subdomain cannot plant or overwrite one."""
        return "__Host-" if self.cookies_secure else ""

    @property
    def trusted_hosts(self) -> list[str]:
        """The Host headers requests may carry (others answer 400)."""
        hosts = list(self.allowed_hosts)
        if not hosts and self.base_url:
            hosts.append(urlsplit(self.base_url).hostname or "")
        if self.environment != "production":
            hosts += [host for host in LOCAL_HOSTS if host not in hosts]
        return hosts

    @property
    def database_limits(self) -> DatabaseLimits:
        return DatabaseLimits(
            busy_timeout=self.db_busy_timeout_seconds,
            lock_timeout_ms=self.db_lock_timeout_ms,
            statement_timeout_ms=self.db_statement_timeout_ms,
            idle_in_transaction_timeout_ms=self.db_idle_in_transaction_timeout_ms,
            pool_timeout=self.db_pool_timeout_seconds,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
