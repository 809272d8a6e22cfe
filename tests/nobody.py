"""Running the command line as user nobody (root opens any file whatever its mode), wherever the
repository lies: a checkout under /root or in a `mktemp -d` folder is private to root, so nobody
runs a copy of the package and its data from a folder it may read, with a python it may run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETPRIV = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@dataclass(frozen=True)
class Nobody:
    base: Path  # a folder every user may enter, removed afterwards
    checkout: Path  # the copy of pop_analytics/ and data/ nobody runs
    python: str  # a python with this venv's packages that nobody may run

    def cli(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
        """python -m pop_analytics ARGS as user nobody."""
        return subprocess.run([*SETPRIV, self.python, "-m", "pop_analytics", *map(str, args)], cwd=self.checkout,
                              capture_output=True, text=True, encoding="utf-8", timeout=timeout, check=False,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(self.checkout)})


def as_nobody(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([*SETPRIV, *map(str, command)], cwd="/", capture_output=True, text=True, check=False)


@contextmanager
def nobody(prefix: str) -> Iterator[Nobody]:
    """A Nobody for the test (skipped, with the reason, where running as another user is not possible)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("running the CLI as user nobody (setpriv --reuid) needs root")
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))  # pytest's own folders are private to root
    try:
        base.chmod(0o755)
        checkout = base / "checkout"
        for part in ("pop_analytics", "data"):
            shutil.copytree(ROOT / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__", "*.duckdb*"))
        yield Nobody(base, checkout, _python_for_nobody(base))
    finally:
        # before removing anything: rmtree would go into the real venv (a bind mount of the same disk is
        # not a mount point to os.path.ismount)
        if subprocess.run(["mountpoint", "-q", str(base / "venv")], check=False).returncode == 0:
            subprocess.run(["umount", str(base / "venv")], check=True)
        for folder in base.iterdir():
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(base)


def _python_for_nobody(base: Path) -> str:
    """This python, or, when the venv lies in a folder only root may enter, the venv bind-mounted
    read-only under base."""
    probe = ("import duckdb, pandas",)
    if as_nobody(sys.executable, "-c", *probe).returncode == 0:
        return sys.executable
    venv = base / "venv"
    venv.mkdir()
    bind = subprocess.run(["mount", "--bind", "-o", "ro", sys.prefix, str(venv)], capture_output=True, text=True,
                          check=False)
    if bind.returncode != 0:
        pytest.skip(f"user nobody may not run {sys.executable} (its folder is private) and mount --bind is not "
                    f"permitted here to lend it: {bind.stderr.strip()}")
    python = venv / "bin" / Path(sys.executable).name
    ran = as_nobody(python, "-c", *probe)
    if ran.returncode != 0:
        pytest.skip(f"user nobody may not run {python}, a bind mount of the private venv {sys.prefix}: "
                    f"{ran.stderr.strip()[-300:]}")
    return str(python)
