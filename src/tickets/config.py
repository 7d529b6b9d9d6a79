"""Settings from the environment (TICKETS_*) or a .env file, validated on construction."""

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def default_data_dir() -> Path:
    """Where the embedded server keeps its data unless TICKETS_DATA_DIR says otherwise.

    The same folder whatever the working directory, so `make run` and a `tickets` command
    typed anywhere open the same database: `.tickets` in the source checkout when the
    package runs from one (an editable install), else the per-user data folder."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "tickets").is_dir():
        return checkout / ".tickets"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "tickets"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETS_", env_file=".env", extra="ignore")

    database_url: str | None = Field(None, description="write database; None: embedded server")
    read_database_url: str | None = Field(None, description="read database; None: same, `read`")
    data_dir: Path = Field(
        default_factory=default_data_dir, description="embedded server data and secrets"
    )
    jwt_secret: SecretStr | None = Field(None, description="HS256 secret, at least 32 bytes")
    dev_login: bool | None = Field(None, description="POST /auth/token; default: no secret set")
    run_worker: bool = True
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    jwt_issuer: str = "tickets"
    jwt_audience: str = "tickets-api"
    jwt_jwks_url: str | None = Field(
        None, description="an identity provider's JWKS: accept its RS256/ES256 tokens"
    )
    jwt_roles_claim: str = Field(
        "roles", min_length=1, description="claim (or dotted path) with a provider's roles"
    )
    token_ttl_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600)
    db_pool_size: int = Field(10, ge=1, le=200)
    db_connect_timeout_seconds: float = Field(
        2.0, gt=0, le=60, description="bound on opening a database connection"
    )
    db_command_timeout_seconds: float = Field(
        4.0, gt=0, le=3600, description="bound on one statement; then 503"
    )
    worker_command_timeout_seconds: float = Field(
        15.0, gt=0, le=3600, description="the outbox worker's bound on connecting and a statement"
    )
    outbox_batch_size: int = Field(500, ge=1, le=5000)
    outbox_lease_seconds: float = Field(30.0, gt=0)
    outbox_poll_seconds: float = Field(2.0, gt=0)
    outbox_linger_seconds: float = Field(0.01, ge=0, le=1)
    outbox_retry_base_seconds: float = Field(0.5, gt=0)
    outbox_retry_cap_seconds: float = Field(60.0, gt=0)
    outbox_max_attempts: int = Field(8, ge=1)
    ready_max_outbox_age_seconds: float = Field(60.0, gt=0)
    read_wait_seconds: float = Field(5.0, gt=0, le=60)
    max_commands_in_flight: int = Field(
        8, ge=1, le=10_000, description="commands in progress per API process; more wait or 503"
    )
    max_reads_in_flight: int = Field(
        16, ge=1, le=10_000, description="reads in progress per API process; more wait or 503"
    )
    max_queue_wait_seconds: float = Field(
        0.05, ge=0, le=10, description="longest wait for a slot before 503 service.overloaded"
    )
    broker_url: str | None = Field(None, description="AMQP URL; set: publish integration events")
    broker_exchange: str = Field("tickets.events", min_length=1)
    broker_confirm_timeout_seconds: float = Field(10.0, gt=0)
    broker_retry_base_seconds: float = Field(0.5, gt=0)
    broker_retry_cap_seconds: float = Field(30.0, gt=0)
    idempotency_key_ttl_seconds: int = Field(
        24 * 3600, ge=1, description="an Idempotency-Key's stored response is kept this long"
    )
    attempt_retention_seconds: int = Field(
        30 * 24 * 3600, ge=1, description="failed delivery attempt records are kept this long"
    )
    audit_retention_seconds: int = Field(
        365 * 24 * 3600, ge=1, description="dead-letter audit rows (who retried, discarded)"
    )
    read_notification_retention_seconds: int = Field(
        30 * 24 * 3600, ge=1, description="a notification is kept this long after it is read"
    )
    unread_notification_retention_seconds: int = Field(
        180 * 24 * 3600, ge=1, description="an unread notification is kept this long"
    )
    retention_interval_seconds: float = Field(
        60.0, gt=0, le=3600, description="pause between two pruning passes"
    )
    retention_batch_size: int = Field(500, ge=1, le=10000, description="rows per delete")

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value().encode()) < 32:
            raise ValueError(
                "must be at least 32 bytes; generate one with "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return secret

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        example = "e.g. postgresql://user:password@host:5432/dbname"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  raises ValueError for a port that is not a number
        except ValueError as error:
            raise ValueError(f"is not a valid URL ({error}); {example}") from None
        if parts.scheme not in ("postgresql", "postgres"):
            got = f"a {parts.scheme}:// URL" if parts.scheme else "no scheme"
            raise ValueError(f"must be a PostgreSQL URL, got {got}; {example}")
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError(f"names no host; {example}")
        return url

    @field_validator("broker_url")
    @classmethod
    def _empty_is_unset(cls, url: str | None) -> str | None:
        return url or None

    @field_validator("jwt_jwks_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.lower().startswith(("https://", "http://")):
            raise ValueError("must be an https:// (or http://) URL")
        return url

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def data_dir_is_explicit(self) -> bool:
        return "data_dir" in self.model_fields_set

    def dev_login_enabled(self) -> bool:
        """Default on unless a production secret or an identity provider is configured;
        TICKETS_DEV_LOGIN overrides."""
        if self.dev_login is not None:
            return self.dev_login
        return self.jwt_secret is None and self.jwt_jwks_url is None

    def local_tokens_enabled(self) -> bool:
        """Whether this service's own HS256 tokens are accepted: always without an
        identity provider; with one, only while dev login is explicitly on."""
        return self.jwt_jwks_url is None or self.dev_login_enabled()
