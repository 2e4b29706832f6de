"""A throw-away PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary directory.

The server listens on 127.0.0.1 at a free port and on a Unix socket in its own directory, with
trust authentication and durability switched off (fsync) because the data dies with the test run.
``initdb`` refuses to run as root, so as root both tools run as the ``postgres`` system user
(``runuser``), in a directory that user owns. Missing binaries are an error, never a skip: the
message says how to install them.
"""

from __future__ import annotations

import glob
import itertools
import os
import random
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with "
    "'apt-get install -y postgresql' (Debian; 'make setup-dev' does it when run as root) "
    "or put a PostgreSQL bin directory on PATH"
)
SERVICE_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The test server cannot be started; the message says why and what to do."""


def find_bin_dir() -> Path:
    """Debian's newest ``/usr/lib/postgresql/<n>/bin``, else the directory of ``initdb`` on PATH."""
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if versions:
        return Path(versions[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    raise PostgresUnavailable(INSTALL_HINT)


#: Ports ``free_port`` handed out in this test session: never handed out twice.
_HANDED_OUT: set[int] = set()


def _ephemeral_floor() -> int:
    """The lowest port the kernel gives outgoing connections (Linux: 32768 by default)."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port for a server a test starts (often in a subprocess, a moment later).

    Taken below the kernel's ephemeral range: a port picked there by binding port 0 can be
    the local port of some process's outgoing connection (the many PostgreSQL connections of
    a cluster test) before the server binds it, and the server then fails with "Address
    already in use" (seen once in CI). Never the same port twice in a session."""
    floor = _ephemeral_floor()
    for _ in range(500):
        port = random.randrange(max(1024, floor - 16000), floor)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as sock:  # the range below is crowded: let the kernel choose
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: ``url(name)`` addresses a database on it; ``new_database()`` for a test."""

    bin_dir: Path
    root: Path
    port: int
    as_service_user: bool
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_bin_dir()
        as_service_user = os.geteuid() == 0
        root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
        if as_service_user:
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root needs 'runuser' (util-linux)")
            try:
                shutil.chown(root, user=SERVICE_USER)
            except LookupError:
                raise PostgresUnavailable(
                    f"running as root needs the '{SERVICE_USER}' system user ({INSTALL_HINT})"
                ) from None
        server = cls(bin_dir, root, free_port(), as_service_user)
        try:
            server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
            server._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-w",
                        "-o", server._options(), "start")  # fmt: skip
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return server

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """A fresh empty place for a test's tables; returns the URL that selects it.

        A schema of its own (chosen by ``search_path`` in the URL's ``options``) rather than a
        database: as isolated for our unqualified table names, and ~100x cheaper to create than
        ``CREATE DATABASE`` on a busy machine.
        """
        schema = f"briefbot_test_{next(self._names)}"
        self.psql(f"CREATE SCHEMA {schema}")
        return f"{self.url()}?options=-csearch_path%3D{schema}"

    def psql(self, sql: str, url: str | None = None) -> str:
        """Run SQL with the server's own client (independent of the code under test)."""
        return self._run("psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                         "-d", url or self.url(), "-c", sql)  # fmt: skip

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )

    def _run(self, tool: str, *args: str) -> str:
        command = [str(self.bin_dir / tool), *args]
        if self.as_service_user:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=self.root, check=False
        )
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{tail}"
            )
        return done.stdout
