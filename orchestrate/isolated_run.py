"""`meltano` with a run directory of its own, so that pipelines started at once from one project never collide.

Meltano writes each plugin's generated config and catalog to `.meltano/run/<plugin>/` and deletes them when the
plugin ends, the same path for every `meltano run`: a second run started meanwhile (another company, or an
overlapping run of the same one) finds its catalog gone or rewritten and its tap fails ("Invalid catalog").
Meltano has no setting for that directory alone, so each run gets a system directory of its own whose
installed plugins (`extractors/`, `mappers/`, `loaders/`, ...) are links to the shared ones, and whose `run/`
and `logs/` are its own. State stays shared: the system database is named by `MELTANO_DATABASE_URI` (the
shared SQLite file by default, PostgreSQL by URL).

    python orchestrate/isolated_run.py --environment acme run tap-servicetitan servicetitan-to-freshbooks \
        target-freshbooks
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
OWN = ("run", "logs", "meltano.db", "meltano.db-journal", "meltano.db-wal", "meltano.db-shm")


def meltano_executable() -> str:
    return shutil.which("meltano", path=str(Path(sys.executable).parent)) or "meltano"


def shared_sys_dir(env: Mapping[str, str], project: Path = PROJECT) -> Path:
    return Path(env.get("MELTANO_SYS_DIR_ROOT") or project / ".meltano").resolve()


def shadow_sys_dir(shared: Path, shadow: Path) -> Path:
    """`shadow` with links to everything in `shared` but the run's own files."""
    shadow.mkdir(parents=True, exist_ok=True)
    for entry in shared.iterdir():
        if entry.name not in OWN and not (shadow / entry.name).exists():
            (shadow / entry.name).symlink_to(entry.resolve())
    return shadow


@contextmanager
def isolated_env(env: Mapping[str, str], project: Path = PROJECT) -> Iterator[dict[str, str]]:
    """`env` for one `meltano` command with a run directory of its own (removed afterwards)."""
    shared = shared_sys_dir(env, project)
    shared.mkdir(parents=True, exist_ok=True)
    shadow = Path(tempfile.mkdtemp(prefix="meltano-run-"))
    try:
        yield {**env, "MELTANO_SYS_DIR_ROOT": str(shadow_sys_dir(shared, shadow)),
               "MELTANO_DATABASE_URI": env.get("MELTANO_DATABASE_URI") or f"sqlite:///{shared / 'meltano.db'}"}
    finally:
        shutil.rmtree(shadow, ignore_errors=True)


def run(args: Sequence[str], env: Mapping[str, str] | None = None, *, project: Path = PROJECT,
        timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """`meltano ARGS` in `project` with its own run directory; output captured."""
    with isolated_env(os.environ if env is None else env, project) as own:
        return subprocess.run([meltano_executable(), *args], cwd=project, env=own, capture_output=True, text=True,
                              timeout=timeout, check=False)


def main(argv: Sequence[str] | None = None) -> int:
    with isolated_env(os.environ) as own:
        return subprocess.run([meltano_executable(), *(sys.argv[1:] if argv is None else argv)], cwd=PROJECT,
                              env=own, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
