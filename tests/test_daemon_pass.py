"""The daemon's PassSlot: one pass at a time, a failed pass logged once with its traceback."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any, cast

from structlog.testing import capture_logs

from ingest.daemon import PassSlot
from ingest.pipeline import Pipeline


class _FailingPipeline:
    async def run_pass(self) -> None:
        raise RuntimeError("store went away")


class TestPassSlot:
    def test_failed_pass_is_logged_with_its_traceback(self) -> None:
        """A pass that raised is reported as one pass_failed event carrying its error and traceback."""

        async def scenario() -> list[MutableMapping[str, Any]]:
            slot = PassSlot()
            slot.start(cast(Pipeline, _FailingPipeline()))
            assert slot.task is not None
            await asyncio.wait([slot.task])
            assert not slot.running
            with capture_logs() as logs:
                slot.report_failure()
            return logs

        logs = asyncio.run(scenario())
        assert [entry["event"] for entry in logs] == ["pass_failed"]
        assert logs[0]["error"] == "store went away"
        assert logs[0]["traceback"].startswith("Traceback (most recent call last)")
        assert "RuntimeError: store went away" in logs[0]["traceback"]

    def test_the_same_failure_in_a_row_logs_its_traceback_once(self) -> None:
        """The database down for an hour fails a pass a tick: one traceback, then the error and a count."""

        class _Flaky:
            def __init__(self) -> None:
                self.results = [RuntimeError("down"), RuntimeError("down"), RuntimeError("down"), None,
                                RuntimeError("down")]

            async def run_pass(self) -> None:
                result = self.results.pop(0)
                if result is not None:
                    raise result

        async def scenario() -> list[MutableMapping[str, Any]]:
            slot, pipeline = PassSlot(), _Flaky()
            with capture_logs() as logs:
                for _ in range(5):
                    slot.start(cast(Pipeline, pipeline))
                    assert slot.task is not None
                    await asyncio.wait([slot.task])
                    slot.report_failure()
            return logs

        logs = asyncio.run(scenario())
        assert [("traceback" in entry, entry.get("in_a_row")) for entry in logs] == [
            (True, None), (False, "2"), (False, "3"), (True, None)]  # a good pass in between starts anew
        assert all(entry["error"] == "down" for entry in logs)

    def test_no_pass_no_report(self) -> None:
        """Before the first pass there is nothing running and nothing to report."""
        slot = PassSlot()
        with capture_logs() as logs:
            slot.report_failure()
        assert not slot.running
        assert logs == []
