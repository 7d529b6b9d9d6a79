"""The overload scenario's load generator, a process of its own: N keep-alive connections
each creating tickets back to back, as clients that honour ``Retry-After``.

A client refused with 503 and ``Retry-After`` waits that long (times a jitter of 1 to
1.5, so refused clients do not come back in step) before its next request, as the
header asks; any other answer is followed by the next request at once. So N clients
offer N requests in progress when nothing is refused: offered load is counted in
connections, and 10x the saturating load is 10x the connections at which the
throughput peaked.

Run: python -m tickets.bench.overload_load PORT --clients N [--seconds S]; prints one
JSON line: goodput (2xx per second), the p50/p99 of admitted requests (every answer
but a refusal), refusals and their p99, other errors.
"""

import argparse
import asyncio
import json
import random
import time
from typing import Any

from tickets.bench.loadgen import Connection, Latencies, tokens


class Tally:
    def __init__(self) -> None:
        self.admitted = Latencies()
        self.refused = Latencies()
        self.ok = 0
        self.other = 0


async def client(port: int, auth: dict[str, str], deadline: float, tally: Tally) -> None:
    connection = Connection("127.0.0.1", port)
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            status, body = await connection.request("POST", "/tickets", {"title": "o"}, auth)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.other += 1
            await connection.close()
            connection = Connection("127.0.0.1", port)
            continue
        elapsed = time.perf_counter() - started
        code = body.get("code") if isinstance(body, dict) else None
        if status == 503 and code == "service.overloaded":
            tally.refused.seconds.append(elapsed)
            wait = connection.retry_after or 1.0
            await asyncio.sleep(min(wait * random.uniform(1.0, 1.5), deadline - started))
            continue
        tally.admitted.seconds.append(elapsed)
        if 200 <= status < 300:
            tally.ok += 1
        else:
            tally.other += 1
    await connection.close()


async def drive(port: int, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    auth = (await tokens(port))["requester"]
    if warmup > 0:
        deadline = time.perf_counter() + warmup
        await asyncio.gather(*(client(port, auth, deadline, Tally()) for _ in range(clients)))
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(port, auth, deadline, tally) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        "goodput_per_second": round(tally.ok / elapsed, 1),
        "ok": tally.ok,
        "refused": len(tally.refused.seconds),
        "other_errors": tally.other,
        "admitted_p50_ms": round(tally.admitted.percentile(50) * 1000, 2),
        "admitted_p99_ms": round(tally.admitted.percentile(99) * 1000, 2),
        "admitted_max_ms": round(max(tally.admitted.seconds, default=0) * 1000, 2),
        "refused_p99_ms": round(tally.refused.percentile(99) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="offer N clients' creates; print JSON")
    parser.add_argument("port", type=int)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    result = asyncio.run(drive(args.port, args.clients, args.seconds, args.warmup))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
