"""scripts/eval_heldout.py: pairing of an sdist's pages with their texts, scoring, and its errors (no network).

The sdist here is a tiny tarball written by the test, laid out as newspaper4k's: two html pages, one txt.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "eval_heldout.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_heldout", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


EH = _script()

PARAGRAPHS = [
    "The city council of Harwick voted on Tuesday to close the old Riverside bridge to heavy lorries after "
    "engineers warned in March that cracks in the supporting piers were spreading faster than expected.",
    "Mayor Ellen Prost said the decision was painful but that safety had to come before convenience, and "
    "that the council would pay for a shuttle bus for the pupils of the two schools on the far bank.",
    "Local hauliers estimate the detour will add forty minutes to every delivery into the industrial estate, "
    "and a replacement crossing is planned for 2029, although its funding has not yet been approved.",
]
URL = "https://news.example.org/2026/12/03/harwick-bridge"


def _article(paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head><title>Harwick closes bridge</title></head><body><nav><a href='/'>Home</a>"
            f"</nav><article>{body}</article><footer>Contact us</footer></body></html>").encode()


def _tarball(path: Path, expected: str) -> Path:
    """Write an sdist-like tarball: alpha.html with alpha.txt and metadata, beta.html alone, one test file."""
    files = {
        "tests/data/html/alpha.html": _article(PARAGRAPHS),
        "tests/data/html/beta.html": _article(["A front page with no article text expected of it."]),
        "tests/data/txt/alpha.txt": expected.encode(),
        "tests/data/metadata/alpha.json": json.dumps({"url": URL, "language": "en"}).encode(),
        "tests/unit/test_pages.py": b'PAGES = ["alpha"]\n',
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"newspaper4k-0.9.6/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class TestPairing:
    """Each html page is paired with the txt of the same name; the others are listed, not scored."""

    def test_pairs_page_with_its_text(self, tmp_path: Path) -> None:
        """alpha is paired with its text, URL and language; beta, without a text, is skipped with the reason."""
        pairing = EH.read_sdist(_tarball(tmp_path / "n.tar.gz", "\n\n".join(PARAGRAPHS)))
        assert [page.key for page in pairing.pages] == ["alpha"]
        page = pairing.pages[0]
        assert (page.url, page.language, page.tested) == (URL, "en", True)
        assert page.expected == "\n\n".join(PARAGRAPHS)
        assert pairing.skipped == [("beta", "no expected text")]
        assert pairing.text_only == []

    def test_repeated_html_and_lone_texts(self) -> None:
        """A page whose HTML repeats an earlier one is skipped once; a text without a page is listed."""
        html = _article(PARAGRAPHS)
        files = {"html": {"a": html, "b": html}, "txt": {"a": b"x", "b": b"y", "c": b"z"}, "metadata": {}}
        pairing = EH.pair_pages(files, "")
        assert [page.key for page in pairing.pages] == ["a"]
        assert pairing.skipped == [("b", "same HTML as a")]
        assert pairing.text_only == ["c"]
        assert pairing.pages[0].url is None
        assert not pairing.pages[0].tested

    def test_url_from_a_test_fixture(self) -> None:
        """Without metadata, the URL written beside the page's name in newspaper4k's tests is used."""
        tests = '(\n    "a",\n    "https://www.bbc.com/burmese/burma-45989453",\n    "my",\n)'
        files = {"html": {"a": b"<p>x</p>"}, "txt": {"a": b"x"}, "metadata": {}}
        assert EH.pair_pages(files, tests).pages[0].url == "https://www.bbc.com/burmese/burma-45989453"


class TestScoring:
    """Both systems are scored with eval_extraction's shingles against the page's expected text."""

    def test_expected_text_found_whole(self, tmp_path: Path) -> None:
        """A page whose article is exactly its expected text scores P = R = 1 for both systems."""
        page = EH.read_sdist(_tarball(tmp_path / "n.tar.gz", "\n\n".join(PARAGRAPHS))).pages[0]
        score = EH.run_page(page, 0)
        for counts in (score.result.raw, score.result.ours):
            assert counts.tp > 40
            assert (counts.fp, counts.fn) == (0, 0)
        assert score.ours_status == "ok"
        assert (score.raw_error, score.ours_error) == ("", "")
        assert score.script == "LATIN"

    def test_missing_expected_sentence_costs_recall(self, tmp_path: Path) -> None:
        """An expected sentence the page does not hold lowers recall, not precision, for both systems."""
        extra = "Nobody on the council mentioned the ferry that crossed the river until nineteen fifty."
        page = EH.read_sdist(_tarball(tmp_path / "n.tar.gz", "\n\n".join([*PARAGRAPHS, extra]))).pages[0]
        score = EH.run_page(page, 1)
        for counts in (score.result.raw, score.result.ours):
            precision, recall, _ = counts.prf()
            assert precision == 1.0
            assert 0.7 < recall < 1.0
            assert counts.fn >= len(extra.split()) - 3  # the sentence's own shingles at least

    def test_failure_is_recorded(self) -> None:
        """A call that raises gives no value and its exception as 'Type: message', without raising."""
        value, cpu, error = EH.timed(lambda: 1 / 0)
        assert value is None
        assert cpu >= 0.0
        assert error == "ZeroDivisionError: division by zero"


class TestCommand:
    """The command line: a run over a given tarball, and the errors when there is none."""

    def test_run_writes_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--sdist and --json: the page's figures and the skipped page are written, the table printed."""
        tarball, out = _tarball(tmp_path / "n.tar.gz", "\n\n".join(PARAGRAPHS)), tmp_path / "out.json"
        assert EH.main(["--sdist", str(tarball), "--json", str(out), "--rounds", "1"]) == 0
        payload = json.loads(out.read_text(encoding="utf-8"))
        assert [page["key"] for page in payload["pages"]] == ["alpha"]
        assert payload["pages"][0]["ours"]["prf"] == [1.0, 1.0, 1.0]
        assert payload["skipped"] == [["beta", "no expected text"]]
        printed = capsys.readouterr().out
        assert "alpha" in printed
        assert "beta (no expected text)" in printed

    def test_missing_tarball(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--sdist naming no file: exit 2 and one line saying so."""
        missing = tmp_path / "nope.tar.gz"
        assert EH.main(["--sdist", str(missing)]) == 2
        assert f"--sdist {missing}: no such file" in capsys.readouterr().err

    def test_not_a_tarball(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that is no tarball: exit 2 and the reason."""
        bad = tmp_path / "bad.tar.gz"
        bad.write_bytes(b"not a tarball")
        assert EH.main(["--sdist", str(bad)]) == 2
        assert "not a readable tarball" in capsys.readouterr().err

    def test_download_fails(self, tmp_path: Path) -> None:
        """No tarball given or cached and the download fails: the error says so and points to --sdist."""
        failing = (sys.executable, "-c", "import sys; sys.stderr.write('no network\\n'); sys.exit(3)")
        with pytest.raises(EH.HeldoutError, match=r"exit 3: no network\); pass the tarball with --sdist FILE"):
            EH.fetch_sdist(tmp_path / "cache", None, failing)

    def test_cached_tarball_is_used(self, tmp_path: Path) -> None:
        """A tarball already in the cache is used without running the download."""
        cached = tmp_path / EH.SDIST_NAME
        cached.write_bytes(b"x")
        never = (sys.executable, "-c", "raise SystemExit(9)")
        assert EH.fetch_sdist(tmp_path, None, never) == cached
