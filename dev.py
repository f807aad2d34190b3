#!/usr/bin/env python3
"""Two commands for a fresh machine with only Python and git:

    python3 dev.py sandbox   # install into .venv, then run the bot on SQLite with a local fake Zalo
    python3 dev.py test      # install into .venv, then run ruff, mypy and the whole test suite

Extra arguments are passed on (to `python -m bot serve` or to pytest). Uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    """Create .venv and install the project; skipped when pyproject.toml has not changed since."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py itself may be started by an older Python)
        sys.exit(f"motcua needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extras}]" if extras else "."
    print(f"installing motcua{f'[{extras}]' if extras else ''} into .venv …", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
                   cwd=ROOT, check=True)
    stamp.write_text(digest)


def run(command: list[str]) -> int:
    """Run a child in the foreground. Ctrl-C reaches it too (same process group): wait for it to shut down
    cleanly instead of leaving it with a traceback here."""
    with subprocess.Popen(command, cwd=ROOT) as child:
        try:
            return child.wait()
        except KeyboardInterrupt:
            try:
                return child.wait()
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
                child.kill()
                return 130


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"sandbox", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "sandbox":
        ensure_installed("")
        args = ["-m", "bot", "serve", "--sandbox", "--config", "config.example.toml", *rest]
        return run([str(PYTHON), *args])
    ensure_installed("test")
    lint = subprocess.call([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT)
    if lint:
        return lint
    types = subprocess.call([str(PYTHON), "-m", "mypy"], cwd=ROOT)  # what it checks: [tool.mypy] in pyproject.toml
    if types:
        return types
    if not os.environ.get("MOTCUA_TEST_POSTGRES_URL"):
        print("note: PostgreSQL variants are skipped; set MOTCUA_TEST_POSTGRES_URL to run them", flush=True)
    return run([str(PYTHON), "-m", "pytest", "-q", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
