"""A throwaway PostgreSQL cluster for tests: Debian's server binaries (installed with apt-get when missing),
`initdb` into a temporary directory and `pg_ctl start` on a free loopback port, as an unprivileged user
(PostgreSQL refuses to run as root).

Where the server cannot be had the caller skips, except in CI (`CI=true`), where the PostgreSQL tests must
really run: there it fails.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

SERVER_USER = "postgres"
SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"
INSTALL_LOCK = Path(tempfile.gettempdir()) / "connector-tests-apt.lock"


class ClusterUnavailable(Exception):
    """The PostgreSQL server could not be installed or started here."""


@dataclass(frozen=True)
class Cluster:
    host: str
    port: int
    user: str = SERVER_USER

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its SQLAlchemy URL (psycopg 3 driver)."""
        return self.create_database_named(f"{prefix}_{uuid.uuid4().hex[:10]}")

    def create_database_named(self, name: str) -> str:
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def server_binaries() -> tuple[str, str] | None:
    """`initdb` and `pg_ctl`: on the PATH, else Debian's versioned directory (newest version)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for bin_dir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                          reverse=True):
        if os.access(f"{bin_dir}/initdb", os.X_OK) and os.access(f"{bin_dir}/pg_ctl", os.X_OK):
            return f"{bin_dir}/initdb", f"{bin_dir}/pg_ctl"
    return None


def install_server() -> None:
    """`apt-get install postgresql` (root only), once at a time across test workers."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ClusterUnavailable("PostgreSQL is not installed, and installing it needs root and apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if server_binaries():
            return
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=900, check=False)
            done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise ClusterUnavailable(f"apt-get install postgresql failed:\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_unprivileged(base: Path) -> list[str]:
    """The command prefix that runs the server as `postgres` when we are root (and hands it `base`)."""
    if os.geteuid() != 0:
        return []
    try:
        owner = pwd.getpwnam(SERVER_USER)
    except KeyError:
        useradd = shutil.which("useradd", path=SBIN_PATH) or "useradd"
        subprocess.run([useradd, "--system", "--no-create-home", SERVER_USER], check=True, capture_output=True)
        owner = pwd.getpwnam(SERVER_USER)
    os.chown(base, owner.pw_uid, owner.pw_gid)
    return [shutil.which("runuser", path=SBIN_PATH) or "runuser", "-u", SERVER_USER, "--"]


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Install if needed, start a cluster on a free port, yield it, stop it and delete its files."""
    binaries = server_binaries()
    if binaries is None:
        install_server()
        binaries = server_binaries()
    if binaries is None:
        raise ClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found after installing")
    initdb, pg_ctl = binaries
    base = Path(tempfile.mkdtemp(prefix="connector-pg-"))
    base.chmod(0o755)
    data, port = base / "data", free_port()
    try:
        prefix = as_unprivileged(base)
        subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", SERVER_USER, "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-o",
                        f"-p {port} -h 127.0.0.1 -k {base} -F -c max_connections=200", "start"],
                       check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (base / "log").read_text() if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        raise ClusterUnavailable(f"could not start a PostgreSQL cluster: {exc}\n{detail!r}\n{log}") from exc
    try:
        yield Cluster("127.0.0.1", port)
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)
