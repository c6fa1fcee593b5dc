"""The extraction process pool: CPU-bound trafilatura on every core, with a time and memory limit per page."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import pebble

from config.settings import ExtractSettings
from ingest import dates
from ingest.errors import ExtractError, ExtractTimeout
from ingest.extract.page import Extracted, SiteBoilerplate, extract_page

# A worker that grows past this is killed by the kernel's allocator refusing memory (MemoryError).
WORKER_MEMORY_BYTES = 2 * 1024**3


def _init_worker(rule: dates.DateRule) -> None:
    """Worker initializer: the parent's date rule, and a memory cap (one page cannot exhaust the machine)."""
    dates.configure(rule.earliest, rule.max_ahead.total_seconds() / 86400)
    # A forked worker inherits the daemon's asyncio signal wakeup socket: the SIGTERM that stops the worker
    # would be written into it and read by the daemon as a second SIGTERM (its forced exit, status 130).
    signal.set_wakeup_fd(-1)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY_BYTES, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


T = TypeVar("T")


async def worker_result(future: pebble.ProcessFuture[T], timeout: float) -> T:
    """Await a page's work in a pool worker; its failures become ExtractTimeout or ExtractError (one page only)."""
    try:
        return await asyncio.wrap_future(future)
    except (FutureTimeout, TimeoutError) as exc:
        raise ExtractTimeout(f"extraction took longer than {timeout:g}s and was abandoned") from exc
    except MemoryError as exc:
        raise ExtractError("extraction ran out of memory and was abandoned") from exc
    except pebble.ProcessExpired as exc:
        raise ExtractError(f"extraction worker died (exit code {exc.exitcode})") from exc
    except Exception as exc:  # an extractor bug on one page must not stop the run
        raise ExtractError(f"extraction failed: {type(exc).__name__}: {exc}") from exc


class ExtractPool:
    """Runs `extract_page` in worker processes; a page over the time limit is abandoned (its worker killed)."""

    def __init__(self, settings: ExtractSettings) -> None:
        self.timeout = settings.timeout
        self.workers = settings.workers or os.cpu_count() or 1
        self._started: pebble.ProcessPool | None = None

    @property
    def _pool(self) -> pebble.ProcessPool:
        """The worker processes, started on first use (a feeds-only pass never needs them)."""
        if self._started is None:
            self._started = pebble.ProcessPool(max_workers=self.workers, max_tasks=500, initializer=_init_worker,
                                                initargs=(dates.rule(),))
        return self._started

    async def extract(
        self,
        body: bytes,
        *,
        url: str | None,
        headers: Mapping[str, str] | None = None,
        boilerplate: SiteBoilerplate | None = None,
    ) -> Extracted:
        """Extract one page in a worker; raise ExtractTimeout or ExtractError."""
        future = self._pool.schedule(
            extract_page,
            args=(body,),
            kwargs={"url": url, "headers": dict(headers or {}), "boilerplate": boilerplate},
            timeout=self.timeout,
        )
        return await worker_result(future, self.timeout)

    def close(self) -> None:
        """Stop the workers."""
        if self._started is None:
            return
        self._started.close()  # type: ignore[no-untyped-call]
        self._started.join(timeout=10)
        self._started.stop()  # type: ignore[no-untyped-call]
        self._started = None

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
