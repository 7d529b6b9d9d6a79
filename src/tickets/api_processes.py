"""N API processes on one port, kept running by the project's one supervisor.

Each process runs ``python -m tickets.api_processes FACTORY HOST PORT``: uvicorn's public
``Config``/``Server`` serving the app that FACTORY (the import path of a function that
returns the ASGI app) builds, with the settings of `tickets serve`
(``tickets.server_options``). ``tickets.supervisor.Supervisor`` starts them,
replaces any that dies and stops them all on SIGINT/SIGTERM, as it does for
`tickets worker --processes N`.

Where connections go: one socket shared by every process hands a burst of new
connections to whichever process wakes first, and keep-alive clients stay where they
landed (docs/benchmarks.md: one of two processes held all 16 of the load generator's
connections in most runs). On Linux each process binds a socket of its own to the port
with SO_REUSEPORT, and the kernel spreads new connections over the processes' sockets
(by a hash of each connection's addresses). Elsewhere SO_REUSEPORT does not spread
connections: the parent binds one socket and the processes inherit it.
"""

import socket
import sys
from collections.abc import Mapping

from tickets.supervisor import Supervisor

STARTUP_FAILURE = 3  # what `uvicorn` exits with when the app fails to start
SPREADS_CONNECTIONS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def serve_processes(
    factory: str, host: str, port: int, workers: int, env: Mapping[str, str] | None = None
) -> int:
    """Serve ``factory`` in ``workers`` processes until SIGINT/SIGTERM; the worst exit
    code among them (0: every process stopped cleanly). ``env`` is the processes'
    whole environment (default: this process's)."""
    if SPREADS_CONNECTIONS:
        # Bound, never listening: it receives no connections, but holds the port (and
        # resolves port 0) for the processes' sockets, bound the same way.
        held = reuse_port_socket(host, port)
        port = held.getsockname()[1]
        fds: tuple[int, ...] = ()
    else:
        held = socket.create_server((host, port))
        held.set_inheritable(True)
        fds = (held.fileno(),)
    command = [
        sys.executable,
        "-m",
        "tickets.api_processes",
        factory,
        host,
        str(port),
        *map(str, fds),
    ]
    try:
        return Supervisor(command, workers, env=env, pass_fds=fds).run_until_signal()
    finally:
        held.close()


def serve_one(factory: str, host: str, port: int, fd: int | None) -> None:
    """One API process: its own SO_REUSEPORT socket, or the inherited one (``fd``)."""
    import uvicorn

    from tickets.server_options import server_options

    options = {**server_options(), "host": host, "port": port}
    sock = reuse_port_socket(host, port) if fd is None else socket.socket(fileno=fd)
    server = uvicorn.Server(uvicorn.Config(factory, factory=True, **options))
    server.run(sockets=[sock])
    if not server.started:  # the app failed to start (say, the database refused it)
        raise SystemExit(STARTUP_FAILURE)


if __name__ == "__main__":
    name, address, number, *inherited = sys.argv[1:]
    serve_one(name, address, int(number), int(inherited[0]) if inherited else None)
