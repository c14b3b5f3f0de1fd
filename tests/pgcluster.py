"""A throwaway PostgreSQL cluster of our own on a free port: for the database fault test (which kills it)
and the load test (which must not take the shared server's connections).

`initdb` refuses to run as root: as root the cluster is made and run as the `postgres` user (`runuser`).
`unavailable_reason()` says why a cluster cannot be made here (no initdb), for a clear skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def unavailable_reason() -> str | None:
    """None if a private cluster can be made here, else why not."""
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        return "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses root"
    return None


@dataclass
class Cluster:
    directory: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off "
                   "-c max_connections=300 -c shared_buffers=128MB")
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-o", options,
                  "-l", str(self.directory / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        if self.postmaster_pid() is not None:
            self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")

    def postmaster_pid(self) -> int | None:
        pid_file = self.directory / "data" / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def kill(self) -> None:
        """SIGKILL the postmaster, as the kernel's OOM killer or a crash would; its backends, orphaned, end when
        they notice (any still there after 5 s are killed too) so the cluster can start again."""
        pid = self.postmaster_pid()
        assert pid is not None, "the cluster is not running"
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        for child in children:
            if _alive(child):
                os.kill(child, signal.SIGKILL)
        while _alive(pid) or any(_alive(c) for c in children):
            time.sleep(0.05)
        # Its lock files stay behind. Where nothing reaps the dead postmaster (no init in a container) its pid
        # still "exists" as a zombie and PostgreSQL would refuse to start: every process is gone, so remove them.
        for lock in (self.directory / "data" / "postmaster.pid", self.directory / f".s.PGSQL.{self.port}.lock"):
            lock.unlink(missing_ok=True)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; its parent (we, for the postmaster) has not reaped it yet


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """initdb a new cluster in a temporary folder, start it on a free port, yield it, stop it and remove it."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    as_postgres = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="aptrain-pg-"))
    cluster = Cluster(directory, free_port(), _bin_dir(), as_postgres)
    try:
        if as_postgres:
            shutil.chown(directory, "postgres", "postgres")
        cluster._run("initdb", "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-locale", "--no-sync")
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.SubprocessError:
            pid = cluster.postmaster_pid()
            if pid is not None:
                cluster.kill()
        shutil.rmtree(directory, ignore_errors=True)
