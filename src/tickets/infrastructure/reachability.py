"""One connection attempt before anything starts, its failure put in words a user can act on."""

import socket
from urllib.parse import urlsplit

import asyncpg

CONNECT_TIMEOUT_SECONDS = 5.0


class DatabaseUnreachable(RuntimeError):
    """The configured database cannot be used; the message names the setting and the fix."""


def describe(url: str) -> str:
    """``host:port/dbname`` of a URL, without user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


async def check_reachable(url: str, setting: str) -> None:
    """Connect once to ``url`` (configured as ``setting``), or raise DatabaseUnreachable."""
    where = describe(url)
    try:
        connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        raise DatabaseUnreachable(
            f"{setting}: PostgreSQL at {where} refused the user name or password; "
            "correct them in the URL"
        ) from None
    except asyncpg.InvalidCatalogNameError:
        name = urlsplit(url).path.lstrip("/")
        raise DatabaseUnreachable(
            f"{setting}: database {name!r} does not exist on {where}; create it "
            f"(createdb {name}) or name an existing one in the URL"
        ) from None
    except asyncpg.PostgresError as error:
        raise DatabaseUnreachable(f"{setting}: PostgreSQL at {where} refused: {error}") from None
    except socket.gaierror:
        raise DatabaseUnreachable(
            f"{setting}: unknown host {urlsplit(url).hostname!r}; correct the URL"
        ) from None
    except TimeoutError:
        raise DatabaseUnreachable(
            f"{setting}: no answer from {where} within {CONNECT_TIMEOUT_SECONDS:.0f}s; "
            "is PostgreSQL running there and reachable?"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise DatabaseUnreachable(
            f"{setting}: cannot connect to {where} ({reason}); is PostgreSQL running there?"
        ) from None
    except ValueError as error:  # asyncpg's URL parser
        raise DatabaseUnreachable(f"{setting}: not a usable URL ({error})") from None
    await connection.close()
