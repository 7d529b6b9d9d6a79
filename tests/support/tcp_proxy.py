"""A TCP proxy a test controls, in front of the real PostgreSQL: it forwards, refuses
connections (nothing listens on its port), or black-holes them (accepts, and forwards
nothing either way), so an outage is simulated without touching the shared server.
Upstream is a TCP address or a unix socket (the embedded server listens on one only)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum

from sqlalchemy.engine import make_url


class Mode(Enum):
    FORWARD = "forward"
    REFUSE = "refuse"
    HANG = "hang"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, unix_socket: str | None = None) -> None:
        self.target = (target_host, target_port)
        self.unix_socket = unix_socket
        self.mode = Mode.FORWARD
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening and cut every connection: connects are refused at once."""
        self.mode = Mode.REFUSE
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._cut_all()

    def hang(self) -> None:
        """Accept, and from now on forward nothing, on new and open connections."""
        self.mode = Mode.HANG

    async def restore(self) -> None:
        """Forward again; connections opened during the outage are cut (their bytes
        were swallowed, so they cannot be in step with the server)."""
        await self._cut_all()
        self.mode = Mode.FORWARD
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.refuse()

    async def _cut_all(self) -> None:
        for link in list(self._links):
            link.cancel()
        for link in list(self._links):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await link
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = asyncio.current_task()
        assert link is not None
        self._links.add(link)
        try:
            if self.mode is Mode.FORWARD:
                upstream_reader, upstream_writer = await self._open_upstream()
                pumps = [
                    asyncio.create_task(self._pump(reader, upstream_writer)),
                    asyncio.create_task(self._pump(upstream_reader, writer)),
                ]
                try:  # either side closing ends the link
                    await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for pump in pumps:
                        pump.cancel()
                    upstream_writer.transport.abort()
            else:
                await self._pump(reader, None)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()
            self._links.discard(link)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.unix_socket is not None:
            return await asyncio.open_unix_connection(self.unix_socket)
        return await asyncio.open_connection(*self.target)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter | None) -> None:
        while data := await source.read(65536):
            if sink is not None and self.mode is Mode.FORWARD:
                sink.write(data)
                await sink.drain()
            # otherwise swallowed: a black hole


@asynccontextmanager
async def proxy_to(host: str, port: int, unix_socket: str | None = None) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(host, port, unix_socket)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


def proxy_to_database(server_url: str) -> contextlib.AbstractAsyncContextManager[TcpProxy]:
    """A proxy in front of the PostgreSQL server of ``server_url``: its TCP address, or
    the unix socket a ``?host=/dir`` URL (the embedded server's) names."""
    target = make_url(server_url)
    port = target.port or 5432
    socket_dir = target.query.get("host")
    unix_socket = None
    if isinstance(socket_dir, str) and socket_dir.startswith("/"):
        unix_socket = f"{socket_dir}/.s.PGSQL.{port}"
    return proxy_to(target.host or "127.0.0.1", port, unix_socket)


def through(proxy: TcpProxy, database_url: str) -> str:
    """``database_url`` (a database on the proxied server) reached through ``proxy``."""
    routed = make_url(database_url).difference_update_query(["host"])
    return routed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
