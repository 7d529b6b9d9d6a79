"""The checks made before anything starts: settings that cannot work together, the
OTEL_* settings of tracing, and one connection to each configured external database."""

from tickets.config import Settings
from tickets.infrastructure.embedded import check_data_dir, usable_data_dir
from tickets.infrastructure.reachability import check_reachable
from tickets.tracing.setup import check as check_tracing


class ConfigurationError(RuntimeError):
    """The settings cannot work together; the message says what to change."""


def check_settings(settings: Settings) -> None:
    """Refuse settings that cannot work together, before anything is started."""
    if settings.jwt_jwks_url is not None and "jwt_issuer" not in settings.model_fields_set:
        raise ConfigurationError(
            "TICKETS_JWT_JWKS_URL needs TICKETS_JWT_ISSUER: the provider's issuer "
            "(the iss claim of its tokens)"
        )
    if settings.jwt_secret is None and not settings.embedded and settings.local_tokens_enabled():
        raise ConfigurationError(
            "TICKETS_JWT_SECRET is required with an external database (TICKETS_DATABASE_URL): "
            "set it to 32+ random bytes, e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )


async def preflight(settings: Settings) -> None:
    """Everything that can be checked before starting: the settings (the OTEL_* ones of
    tracing too), then one connection to each configured external database (a clear
    message instead of a failed migration)."""
    check_settings(settings)
    check_tracing()
    if settings.database_url is not None:
        await check_reachable(settings.database_url, "TICKETS_DATABASE_URL")
    else:
        check_data_dir(usable_data_dir(settings.data_dir, settings.data_dir_is_explicit))
    if settings.read_database_url not in (None, settings.database_url):
        await check_reachable(settings.read_database_url, "TICKETS_READ_DATABASE_URL")
