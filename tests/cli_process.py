"""`wirefeed` run as its own process, as a user or cron runs it: for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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
