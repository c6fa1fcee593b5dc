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

    def test_no_pass_no_report(self) -> None:
        """Before the first pass there is nothing running and nothing to report."""
        slot = PassSlot()
        with capture_logs() as logs:
            slot.report_failure()
        assert not slot.running
        assert logs == []
