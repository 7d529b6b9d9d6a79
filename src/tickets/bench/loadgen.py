"""A small keep-alive HTTP/1.1 load generator, run as a process of its own so the server's
event loop and garbage collector never share a process with the client's.

Run: python -m tickets.bench.loadgen PORT commands|details|list [--seconds S]
[--clients N] [--auth] [--ids FILE]; prints ``WINDOW`` when the measured window starts
(after the warm-up), then one JSON line (rate, p50, p99, errors) when it has ended.
"""

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WINDOW = "measuring"


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile(self, p: float) -> float:
        if not self.seconds:
            return 0.0
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retry_after: float | None = None
        """The last answer's Retry-After, in seconds (None: it had none)."""

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}",
            "Connection: keep-alive",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        self.retry_after = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "retry-after":
                self.retry_after = float(value)
        raw = await self.reader.readexactly(length) if length else b""
        return status, json.loads(raw) if raw else None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def timed(latencies: Latencies, call: Any) -> Any:
    started = time.perf_counter()
    try:
        status, body = await call
    except (OSError, asyncio.IncompleteReadError, ValueError):
        latencies.errors += 1
        return None
    latencies.seconds.append(time.perf_counter() - started)
    if status >= 400:
        latencies.errors += 1
        return None
    return body


async def tokens(port: int) -> dict[str, dict[str, str]]:
    """Bearer headers for a requester and an approver (dev login)."""
    setup = Connection("127.0.0.1", port)
    headers = {}
    for role in ("requester", "approver"):
        _, body = await setup.request(
            "POST", "/auth/token", {"username": f"bench-{role}", "role": role}
        )
        headers[role] = {"Authorization": f"Bearer {body['access_token']}"}
    await setup.close()
    return headers


async def commands(c: Connection, lat: Latencies, auth: dict[str, dict[str, str]]) -> int:
    """One lifecycle: create, submit, approve (70%) or reject."""
    author, approver = auth.get("requester", {}), auth.get("approver", {})
    created = await timed(lat, c.request("POST", "/tickets", {"title": "b"}, author))
    if created is None:
        return 1
    path = f"/tickets/{created['id']}"
    await timed(lat, c.request("POST", f"{path}/submit", None, author))
    if random.random() < 0.7:
        await timed(lat, c.request("POST", f"{path}/approve", None, approver))
    else:
        await timed(lat, c.request("POST", f"{path}/reject", {"reason": "no"}, approver))
    return 3


async def details(
    c: Connection, lat: Latencies, auth: dict[str, dict[str, str]], ids: list[str]
) -> int:
    await timed(lat, c.request("GET", f"/tickets/{random.choice(ids)}", None, auth.get("approver")))
    return 1


async def pages(c: Connection, lat: Latencies, auth: dict[str, dict[str, str]]) -> int:
    """The first page of the newest tickets, then four more by cursor."""
    path, done = "/tickets?limit=20", 0
    for _ in range(5):
        page = await timed(lat, c.request("GET", path, None, auth.get("approver")))
        done += 1
        if not page or not page["next_cursor"]:
            break
        path = f"/tickets?limit=20&cursor={page['next_cursor']}"
    return done


async def drive(args: argparse.Namespace, ids: list[str]) -> dict[str, Any]:
    auth = await tokens(args.port) if args.auth else {}
    steps: dict[str, Callable[[Connection, Latencies], Awaitable[int]]] = {
        "commands": lambda c, lat: commands(c, lat, auth),
        "details": lambda c, lat: details(c, lat, auth, ids),
        "list": lambda c, lat: pages(c, lat, auth),
    }
    step = steps[args.scenario]

    async def clients(seconds: float, lat: Latencies) -> int:
        deadline = time.perf_counter() + seconds
        done = 0

        async def client() -> None:
            nonlocal done
            c = Connection("127.0.0.1", args.port)
            while time.perf_counter() < deadline:
                finished = await step(c, lat)  # not `done += await …`: that loses updates
                done += finished
            await c.close()

        await asyncio.gather(*(client() for _ in range(args.clients)))
        return done

    warmup = min(2.0, args.seconds / 3) if args.warmup is None else args.warmup
    if warmup > 0:
        await clients(warmup, Latencies())
    lat = Latencies()
    print(WINDOW, flush=True)  # the caller reads its CPU counters from here
    started = time.perf_counter()
    done = await clients(args.seconds, lat)
    elapsed = time.perf_counter() - started
    return {
        "requests": done,
        "requests_per_second": round(done / elapsed, 1),
        "p50_ms": round(lat.percentile(50) * 1000, 2),
        "p99_ms": round(lat.percentile(99) * 1000, 2),
        "errors": lat.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="drive a server; print one JSON result")
    parser.add_argument("port", type=int)
    parser.add_argument("scenario", choices=("commands", "details", "list"))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--auth", action="store_true", help="get dev-login tokens first")
    parser.add_argument("--ids", help="file of ticket ids, one a line (details)")
    parser.add_argument("--warmup", type=float, help="seconds; default: a third, at most 2")
    args = parser.parse_args()
    ids = Path(args.ids).read_text().split() if args.ids else []
    print(json.dumps(asyncio.run(drive(args, ids))), flush=True)


if __name__ == "__main__":
    main()
