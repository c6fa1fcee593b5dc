"""`wirefeed` run as its own process, as a user or cron runs it, or in the test's process: for the CLI tests."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Done:
    """What one `wirefeed` process left behind."""

    code: int
    out: str
    err: str


def environ(env: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without the shell's WIREFEED_* variables, plus `env`; UTC for stable times."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("WIREFEED_")}
    clean.update({"PYTHONPATH": str(ROOT), "TZ": "UTC"}, **(env or {}))
    return clean


def wirefeed(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None) -> Done:
    """Run `wirefeed ARGS` as its own process, as a user or cron does."""
    done = subprocess.run([sys.executable, "-m", "ingest.cli", *args], cwd=cwd, env=environ(env), input=stdin,
                          capture_output=True, timeout=120, check=False)
    return Done(done.returncode, done.stdout.decode(), done.stderr.decode())


def in_process(*args: str) -> Done:
    """Run `wirefeed ARGS` in this process, capturing its output (argparse's usage errors give their code)."""
    from ingest.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Done(code, out.getvalue(), err.getvalue())


def isolate(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> None:
    """No WIREFEED_* variable from the shell, and `cwd` as the working directory (for the default database)."""
    for name in list(os.environ):
        if name.upper().startswith("WIREFEED_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(cwd)
