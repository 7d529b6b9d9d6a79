"""Composition root: wires settings, the database and adapters to the ports."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tickets.api.app import create_app
from tickets.api.auth.tokens import AuthConfig
from tickets.api.services import ApiServices
from tickets.application.behaviours import default_behaviours
from tickets.application.handlers import Deps
from tickets.application.messagebus import MessageBus
from tickets.config import Settings
from tickets.infrastructure.database import create_engine
from tickets.infrastructure.embedded import start_embedded, usable_data_dir
from tickets.infrastructure.mapping import start_mappers
from tickets.infrastructure.metrics import PrometheusMetrics
from tickets.infrastructure.migrate import upgrade_to_head
from tickets.infrastructure.system import RandomIds, SystemClock
from tickets.infrastructure.unit_of_work import SqlUnitOfWorkFactory


class ConfigurationError(RuntimeError):
    """The settings cannot work together; the message says what to change."""


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    bus: MessageBus
    registry: CollectorRegistry
    auth: AuthConfig

    async def readiness(self) -> list[str]:
        """Reasons the service is not ready (empty when it is)."""
        try:
            async with asyncio.timeout(2):
                async with self.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as error:
            return [f"database unreachable: {type(error).__name__}"]
        return []


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Start (or join) the database, migrate it, and build the bus and its adapters."""
    start_mappers()
    embedded = None
    data_dir = usable_data_dir(settings.data_dir, settings.data_dir_is_explicit)
    url = settings.database_url
    if url is None:
        embedded = await asyncio.to_thread(start_embedded, data_dir)
        url = embedded.url
    engine = None
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        engine = create_engine(url, pool_size=settings.db_pool_size)
        registry = CollectorRegistry()
        sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        uow_factory = SqlUnitOfWorkFactory(sessions)
        bus = MessageBus(
            uow_factory,
            Deps(clock=SystemClock(), ids=RandomIds()),
            default_behaviours(PrometheusMetrics(registry)),
        )
        auth = AuthConfig(
            secret=jwt_secret(settings, data_dir),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.token_ttl_seconds,
            dev_login=settings.dev_login_enabled(),
        )
        yield Runtime(settings, url, engine, uow_factory, bus, registry, auth)
    finally:
        if engine is not None:
            await engine.dispose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def jwt_secret(settings: Settings, data_dir: Path) -> str:
    """The configured secret or, in embedded mode only, one generated and kept on disk."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if not settings.embedded:
        raise ConfigurationError(
            "TICKETS_JWT_SECRET (32+ bytes) is required with an external database"
        )
    path = data_dir / "jwt_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: of two processes starting together, exactly one writes the secret
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@asynccontextmanager
async def api_services(settings: Settings) -> AsyncIterator[ApiServices]:
    async with open_runtime(settings) as runtime:
        yield ApiServices(runtime.bus, runtime.auth, runtime.registry, runtime.readiness)


def build_app(settings: Settings) -> FastAPI:
    return create_app(lambda: api_services(settings))
