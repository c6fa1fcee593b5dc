"""wirefeed: ingest."""
