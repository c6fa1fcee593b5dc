"""Recorded feeds and pages in tests/fixtures/ give what their `*.expected.json` beside them says.

The files are written by `scripts/regenerate_fixtures.py`; a failure here means the parser or the extractor
changed its output: rerun the script and review the diff.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "regenerate_fixtures.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regenerate_fixtures", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


REGENERATE = _script()
FEEDS = sorted(path.name for path in REGENERATE.FEEDS.glob("*.xml"))


class TestFeedExpectations:
    """Each recorded feed parses to its expectation file."""

    @pytest.mark.parametrize("name", FEEDS)
    def test_feed_matches_expected(self, name: str) -> None:
        """parse_feed's output (or its error) equals `<name>.expected.json`."""
        feed = REGENERATE.FEEDS / name
        expected = json.loads(feed.with_suffix(".expected.json").read_text(encoding="utf-8"))
        assert REGENERATE.feed_expectation(feed) == expected


class TestRegenerateScript:
    """The script reproduces the files as committed."""

    def test_check_finds_nothing_stale(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--check` exits 0 and names no file: pages and feeds are as their expectations say."""
        assert REGENERATE.main(["--check"]) == 0
        assert capsys.readouterr().out == ""
