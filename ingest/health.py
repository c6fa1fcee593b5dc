"""The daemon's operations endpoints: /metrics (Prometheus), /healthz (alive) and /readyz (database usable).

Served on `[metrics] listen` only (off by default), by a small threaded HTTP server beside the event loop,
so a scrape never waits for a pass and a pass never waits for a scrape. /healthz answers 200 while the
scheduler has ticked within two tick intervals (a stuck event loop stops ticking); /readyz answers 200
when the database answers and its schema is at the revision this code expects. Both bodies are JSON; a
failing check answers 503.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from config.settings import ConfigError
from ingest.ops import metrics
from store import telemetry
from store.db import Store, describe

log = structlog.get_logger("wirefeed.daemon")

CONTENT_TYPE_JSON = "application/json"


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` (`[::1]:9464` for IPv6) as (host, port)."""
    host, _, port = listen.rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port)


class Health:
    """What /healthz and /readyz look at: the scheduler's last tick, and the database."""

    def __init__(self, store: Store, tick_seconds: float, *, pass_running: Callable[[], bool] = lambda: False) -> None:
        self.store = store
        self.tick_seconds = tick_seconds
        self.pass_running = pass_running
        self.last_tick = time.monotonic()  # counted from the start until the first tick

    def tick(self) -> None:
        """The scheduler ticked."""
        self.last_tick = time.monotonic()
        metrics.LAST_TICK.set_to_current_time()

    def alive(self) -> tuple[bool, dict[str, Any]]:
        """Whether the scheduler ticked within two intervals."""
        ago = time.monotonic() - self.last_tick
        ok = ago <= 2 * self.tick_seconds
        return ok, {"status": "ok" if ok else "stalled", "last_tick_seconds_ago": round(ago, 3),
                    "tick_seconds": self.tick_seconds, "pass_running": self.pass_running()}

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the database answers and its schema is current."""
        try:
            with self.store.session() as session:
                current, head = telemetry.schema_state(session)
        except Exception as exc:  # unreachable, damaged, no schema: not ready, and say why
            metrics.DB_ERRORS.labels("ready").inc()
            return False, {"status": "unavailable", "database": "error", "error": describe(exc)}
        ok = current is not None and current == head
        return ok, {"status": "ok" if ok else "schema_not_current", "database": "ok", "schema": current,
                    "schema_expected": head}


class OpsServer:
    """The HTTP server of /metrics, /healthz and /readyz, on a thread of its own."""

    def __init__(self, listen: str, health: Health) -> None:
        host, port = parse_listen(listen)
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        try:
            self.server = server_class((host, port), _handler(health))
        except OSError as exc:
            raise ConfigError(f"metrics.listen: cannot listen on {listen}: {exc.strerror or exc}") from None
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="wirefeed-ops", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """The address served (the port is the real one when 0 was asked for)."""
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        host, port = self.address
        log.info("metrics_listening", host=host, port=port, paths=["/metrics", "/healthz", "/readyz"])

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _handler(health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, metrics.exposition(), "text/plain; version=0.0.4; charset=utf-8")
            elif path in ("/healthz", "/readyz"):
                ok, body = health.alive() if path == "/healthz" else health.ready()
                self._send(200 if ok else 503, json.dumps(body).encode(), CONTENT_TYPE_JSON)
            else:
                self._send(404, b'{"status": "not_found", "paths": ["/metrics", "/healthz", "/readyz"]}',
                           CONTENT_TYPE_JSON)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes are not logged (one every 15 s would drown the log)."""

    return Handler
