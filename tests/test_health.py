"""/healthz and /readyz decisions on a real SQLite store, served by the real ops server."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from config.settings import ConfigError
from ingest.health import Health, OpsServer, parse_listen
from store.db import Store


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class TestHealth:
    """What the endpoints answer."""

    def test_stalled_scheduler_is_503(self, sqlite_url: str) -> None:
        """A scheduler that has not ticked for more than two intervals makes /healthz answer 503."""
        store = Store(sqlite_url)
        health = Health(store, tick_seconds=30)
        server = OpsServer("127.14.3.1:0", health)
        server.start()
        try:
            base = f"http://127.14.3.1:{server.address[1]}"
            health.tick()
            assert _get(f"{base}/healthz")[0] == 200
            health.last_tick = time.monotonic() - 61
            status, body = _get(f"{base}/healthz")
            assert status == 503
            assert body["status"] == "stalled"
        finally:
            server.close()
            store.close()

    def test_schema_behind_is_not_ready(self, sqlite_url: str) -> None:
        """A database whose schema is older than the code's answers 503 schema_not_current."""
        store = Store(sqlite_url)
        with store.session() as session:
            session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        ok, body = Health(store, 30).ready()
        assert not ok
        assert body["status"] == "schema_not_current"
        assert body["schema"] == "0005"
        store.close()

    def test_database_gone_is_not_ready(self, tmp_path: Path) -> None:
        """A database file that is not a database answers 503 with the database's error."""
        path = tmp_path / "broken.db"
        store = Store(f"sqlite:///{path}", migrate=False)
        path.write_bytes(b"not a database at all" * 100)
        ok, body = Health(store, 30).ready()
        assert not ok
        assert body["status"] == "unavailable"
        assert body["error"]
        store.close()

    def test_address_in_use_is_a_config_error(self) -> None:
        """Listening where something already listens stops with one line naming the setting."""
        with socket.socket() as sock:
            sock.bind(("127.14.3.2", 0))
            sock.listen()
            port = sock.getsockname()[1]
            with pytest.raises(ConfigError, match=r"metrics\.listen"):
                OpsServer(f"127.14.3.2:{port}", Health(None, 30))  # type: ignore[arg-type]

    def test_listen_forms(self) -> None:
        """host:port and [v6]:port."""
        assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
        assert parse_listen("[::1]:9464") == ("::1", 9464)
