"""N API processes on one port, each listening on a socket of its own.

uvicorn's supervisor binds one socket and every process accepts from it. A burst of new
connections then goes to whichever process wakes first, which accepts all of them at
once, and keep-alive clients stay where they landed: in the bench, one of two processes
held all 16 of the load generator's connections in most runs, so the second process
added nothing. On Linux each process here gets a socket of its own, bound to the same
port with SO_REUSEPORT, and the kernel spreads new connections over the processes'
sockets (by a hash of each connection's addresses). Elsewhere SO_REUSEPORT does not
spread connections, and the processes share one socket as before.
"""

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

SPREADS_CONNECTIONS = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class ApiProcesses(Multiprocess):
    """uvicorn's supervisor (health checks, restarts), with a socket per process where
    the kernel can spread connections; remembers whether a signal (not a failure) stopped
    it."""

    signalled = False

    def __init__(self, config: uvicorn.Config) -> None:
        self._handed_over: list[socket.socket] = []
        self._shared: socket.socket | None = None
        self._host, self._port = config.host, config.port
        if SPREADS_CONNECTIONS:
            # Bound, never listening: it receives no connections, but holds the port
            # (and resolves port 0) for the processes' sockets, bound the same way.
            self._reserved = _reuse_port_socket(config.host, config.port)
            self._port = self._reserved.getsockname()[1]
        else:
            self._shared = config.bind_socket()
        super().__init__(config, sockets=[])

    # uvicorn reads ``self.sockets`` for every process it starts (first start,
    # replacement of a dead one, restart): each read binds a new socket for that process.
    @property
    def sockets(self) -> list[socket.socket]:
        if self._shared is not None:
            return [self._shared]
        sock = _reuse_port_socket(self._host, self._port)
        self._handed_over.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, _value: list[socket.socket]) -> None:
        """Multiprocess.__init__ assigns the list it was given; ignored (see above)."""

    def _close_handed_over(self) -> None:
        # A started process inherited its socket when it was spawned; the parent's copy
        # must go, or connections would still be queued on the socket of a process that
        # died (the socket closes, and leaves the port's group, with its last holder).
        for sock in self._handed_over:
            sock.close()
        self._handed_over.clear()

    def init_processes(self) -> None:
        super().init_processes()
        self._close_handed_over()

    def restart_all(self) -> None:
        super().restart_all()
        self._close_handed_over()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        self._close_handed_over()

    def handle_int(self) -> None:
        self.signalled = True
        super().handle_int()

    def handle_term(self) -> None:
        self.signalled = True
        super().handle_term()


def serve_processes(factory: str, options: dict[str, Any], workers: int) -> bool:
    """Serve ``factory`` (an import path of a function returning the ASGI app) in
    ``workers`` processes until a signal; False if they stopped for a failure instead."""
    config = uvicorn.Config(factory, factory=True, workers=workers, **options)
    processes = ApiProcesses(config)
    processes.run()
    return processes.signalled
