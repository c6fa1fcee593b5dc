"""The CPU time spent inside metrics and telemetry code, measured around every call into it.

    python scripts/ops_cost.py --db URL ingest --all     # wirefeed's CLI, instrumented; see bench_poll --ops-time
    (in a process) timer = OpsTimer.install(); ...; timer.report()

Every entry point of `ingest.ops` the pipeline calls (`telemetry.page_outcomes`, `evaluate`, `flush`,
`metrics.count_fetch`, `count_takeovers`, `finish_command`, the feed pass's `count_poll`) and every
prometheus_client method that changes a value (`labels`, `inc`, `set`, `observe`, ...; the pass and
timing hooks call them directly) is wrapped: the thread's CPU time (`time.thread_time`) is added up
from the outermost such call to its return, per thread, so nested calls count once. The wrappers' own
cost inside a measured call is counted as ops time too: the figure is an upper bound.

Run as a script, it runs `python -m ingest.cli` with the given arguments so instrumented and, at exit,
appends one JSON line `{"ops_cpu", "process_cpu", "calls", "argv"}` to the file named by
WIREFEED_OPS_COST_OUT (stderr without it).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class OpsTimer:
    """Thread CPU time inside metrics and telemetry calls (outermost calls only), and how many there were."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.calls = 0
        self.by_name: dict[str, float] = {}  # outermost calls' CPU time by entry point
        self._lock = threading.Lock()
        self._local = threading.local()

    def wrap(self, owner: Any, name: str) -> None:
        """Replace `owner.name` by a timed version (a function of a module, or a method of a class)."""
        real = getattr(owner, name)
        timer = self
        label = f"{getattr(owner, '__name__', owner)}.{name}"

        @functools.wraps(real)
        def timed(*args: Any, **kwargs: Any) -> Any:
            local = timer._local
            depth = getattr(local, "depth", 0)
            if depth:
                return real(*args, **kwargs)
            local.depth = 1
            started = time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                local.depth = 0
                with timer._lock:
                    timer.cpu += spent
                    timer.calls += 1
                    timer.by_name[label] = timer.by_name.get(label, 0.0) + spent

        setattr(owner, name, timed)

    @classmethod
    def install(cls) -> OpsTimer:
        """Wrap every entry point into metrics and telemetry code of this process."""
        from prometheus_client import metrics as client

        from ingest import feed_pass
        from ingest.ops import metrics, telemetry

        timer = cls()
        for owner, names in (
            (telemetry, ("page_outcomes", "evaluate", "flush")),
            (metrics, ("count_fetch", "count_takeovers", "finish_command", "set_build_info", "set_feed_states")),
            (feed_pass, ("count_poll",)),
            (client.MetricWrapperBase, ("labels",)),
            (client.Counter, ("inc",)),
            (client.Gauge, ("inc", "set", "set_to_current_time")),
            (client.Histogram, ("observe",)),
            (client.Info, ("info",)),
        ):
            for name in names:
                timer.wrap(owner, name)
        return timer

    def report(self) -> dict[str, Any]:
        """The figures so far, with this process's whole CPU time (all its threads)."""
        return {"ops_cpu": self.cpu, "process_cpu": time.process_time(), "calls": self.calls, "argv": sys.argv[1:],
                "by_name": {name: round(spent, 4) for name, spent in self.by_name.items()}}


def main() -> None:
    sys.path.insert(0, str(ROOT))
    timer = OpsTimer.install()

    def write() -> None:
        line = json.dumps(timer.report())
        out = os.environ.get("WIREFEED_OPS_COST_OUT")
        if out:
            with open(out, "a", encoding="utf-8") as file:
                file.write(line + "\n")
        else:
            print(line, file=sys.stderr)

    atexit.register(write)
    from ingest.cli.app import main as cli

    code = cli(sys.argv[1:])
    write()
    atexit.unregister(write)
    sys.exit(code)


if __name__ == "__main__":
    main()
