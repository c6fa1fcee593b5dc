"""The `wirefeed` command line: `app` parses and dispatches; `demo` serves the bundled sample world.
Thin callers of the pipeline and the store."""

from ingest.cli.app import main

__all__ = ["main"]
