"""The JWKS GET reads the answer's three framings (Content-Length, chunked, until the
connection ends) and refuses what is not a 200 JSON document of bounded size."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from tickets.api.auth.jwks_fetch import MAX_JWKS_BYTES, JwksFetchError, fetch_json


@asynccontextmanager
async def answering(raw: bytes) -> AsyncIterator[str]:
    """A server on 127.0.0.1 that reads a request head and answers ``raw``, then closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/certs"


@pytest.mark.parametrize(
    "raw",
    [
        b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{"keys":[]}',
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4\r\n{"ke\r\n7\r\nys":[]}\r\n0\r\n\r\n',
        b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"keys":[]}',
    ],
    ids=["content-length", "chunked", "until-close"],
)
async def test_each_framing_is_read(raw: bytes) -> None:
    async with answering(raw) as url:
        assert await fetch_json(url) == {"keys": []}


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>",
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n{",
        b"HTTP/1.1 200 OK\r\n\r\n" + b" " * (MAX_JWKS_BYTES + 1),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
    ],
    ids=["500", "not-json", "declared-too-large", "too-large", "bad-chunk", "not-http"],
)
async def test_what_is_not_a_jwks_document_is_refused(raw: bytes) -> None:
    async with answering(raw) as url:
        with pytest.raises(JwksFetchError):
            await fetch_json(url)


async def test_a_short_answer_is_an_error() -> None:
    async with answering(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}") as url:
        with pytest.raises(EOFError):
            await fetch_json(url)


async def test_only_http_urls() -> None:
    with pytest.raises(JwksFetchError):
        await fetch_json("file:///etc/passwd")
