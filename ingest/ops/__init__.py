"""Operating wirefeed: Prometheus metrics (metrics.py) and per-source quality telemetry (telemetry.py).

Both count in memory on the hot path; telemetry reaches the store in one statement per flush
(store/telemetry.py), metrics are served by the daemon (ingest/health.py) or written to a textfile.
"""
