"""Libraries' own output (stdlib log records, direct stderr writes) reaches stderr as one structlog line each."""

from __future__ import annotations

import io
import json
import logging
import random
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.cli.app import main
from ingest.logs import configure_logging

# trafilatura probes urllib3's optional SOCKS support on import, which warns when PySocks is absent.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.DependencyWarning")


def warc_record(url: str, body: bytes, *, gzip: bool) -> bytes:
    """One WARC response record's bytes."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                  http_headers=headers))
    return buffer.getvalue()


def backfill_stderr(capsys: pytest.CaptureFixture[str], db: str, warc: Path) -> tuple[int, list[dict[str, object]]]:
    """Run `wirefeed --log-format json backfill --warc`; its exit status and stderr, each line parsed as JSON."""
    code = main(["--db", db, "--log-format", "json", "backfill", "--no-progress", "--warc", str(warc)])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, [json.loads(line) for line in lines]  # json.loads fails the test on any line that is not JSON


class TestWarcioOutput:
    """warcio writes its warnings straight to sys.stderr; in JSON mode they are JSON lines like ours."""

    @pytest.fixture(autouse=True)
    def _one_worker(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WIREFEED_EXTRACT__WORKERS", "1")

    def test_trailing_garbage_after_a_record(
        self, tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A record followed by garbage: warcio's `WARNING ... Remainder:` is one library_log JSON line."""
        first = warc_record("http://a.test/1", b"<html><body><p>one</p></body></html>", gzip=False)
        second = warc_record("http://a.test/2", b"<html><body><p>two</p></body></html>", gzip=False)
        warc = tmp_path / "garbage.warc"
        warc.write_bytes(first[:-4] + b"garbage" + first[-4:] + second)
        code, events = backfill_stderr(capsys, sqlite_url, warc)
        assert code == 0
        warnings = [e for e in events if e["event"] == "library_log"]
        assert [e["logger"] for e in warnings] == ["warcio"]
        assert "Record not followed by newline" in str(warnings[0]["message"])
        assert warnings[0]["level"] == "warning"

    def test_damaged_gzip_member(self, tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A gzip member damaged mid-way: warcio's zlib error is one library_log JSON line."""
        rng = random.Random(1)
        body = ("<html><body>" + " ".join(str(rng.random()) for _ in range(20000)) + "</body></html>").encode()
        damaged = bytearray(warc_record("http://a.test/big", body, gzip=True))
        damaged[len(damaged) // 2] ^= 0xFF
        warc = tmp_path / "damaged.warc.gz"
        warc.write_bytes(bytes(damaged))
        _, events = backfill_stderr(capsys, sqlite_url, warc)
        messages = [str(e["message"]) for e in events if e["event"] == "library_log"]
        assert any("while decompressing data" in m for m in messages)


class TestStdlibRecords:
    """A library's stdlib log record is one structlog line, whichever library logs it."""

    @pytest.mark.parametrize("name", ["warcio.recordloader", "some.other.library"])
    def test_one_json_line(self, name: str, capsys: pytest.CaptureFixture[str]) -> None:
        """warcio's logger and any other library's (through the root logger): one JSON line, message kept."""
        configure_logging("json")
        logging.getLogger(name).warning("Replacing spaces in invalid WARC-Target-URI: %s", "http://a b/")
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1
        event = json.loads(lines[0])
        assert (event["event"], event["logger"]) == ("library_log", name)
        assert event["message"] == "Replacing spaces in invalid WARC-Target-URI: http://a b/"

    def test_long_message_cut(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A library message of kilobytes (a damaged record's remainder) is cut to a readable length."""
        configure_logging("json")
        logging.getLogger("warcio").warning("Remainder: %s", "x" * 10_000)
        event = json.loads(capsys.readouterr().err)
        assert len(event["message"]) < 1000
